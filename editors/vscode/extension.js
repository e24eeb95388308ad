// Starts `plinth lsp` for Bicep, Terraform and JSON files (ARM templates).
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("plinth");
  const command = config.get("path", "plinth");
  const args = ["lsp", ...config.get("args", [])];
  client = new LanguageClient(
    "plinth",
    "plinth",
    { command, args },
    {
      documentSelector: [
        { scheme: "file", language: "bicep" },
        { scheme: "file", language: "terraform" },
        { scheme: "file", pattern: "**/*.tf" },
        { scheme: "file", language: "json" },
        { scheme: "file", language: "jsonc" },
      ],
      synchronize: {
        fileEvents: vscode.workspace.createFileSystemWatcher("**/.plinth.{yaml,yml}"),
      },
    }
  );
  context.subscriptions.push(client);
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
