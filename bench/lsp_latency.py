#!/usr/bin/env python3
"""How fast `plinth lsp` answers a change (issue #23): the time from sending
`textDocument/didChange` on a 1,000-line ARM template to receiving its
`textDocument/publishDiagnostics`, debounce included.

    bench/lsp_latency.py [--plinth target/release/plinth] [--runs 30]

The template is generated (a virtual network with a private endpoint subnet
whose policies are Disabled under an NSG, so PE002 fires, padded with
storage accounts to 1,000 lines) in a temporary folder and never kept. Each
run changes one address prefix, alternating, so every change really changes
the unit. Prints the median, p90 and worst latency in milliseconds.
Standard library only.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def template(lines: int, prefix: str) -> str:
    resources = [
        {
            "type": "Microsoft.Network/networkSecurityGroups",
            "apiVersion": "2024-05-01",
            "name": "nsg-pe",
            "location": "westeurope",
        },
        {
            "type": "Microsoft.Network/virtualNetworks",
            "apiVersion": "2024-05-01",
            "name": "vnet-app",
            "location": "westeurope",
            "properties": {
                "addressSpace": {"addressPrefixes": ["10.0.0.0/16"]},
                "subnets": [
                    {
                        "name": "snet-pe",
                        "properties": {
                            "addressPrefix": prefix,
                            "privateEndpointNetworkPolicies": "Disabled",
                            "networkSecurityGroup": {
                                "id": "[resourceId('Microsoft.Network/networkSecurityGroups', 'nsg-pe')]"
                            },
                        },
                    }
                ],
            },
        },
        {
            "type": "Microsoft.Network/privateEndpoints",
            "apiVersion": "2024-05-01",
            "name": "pe-st0",
            "location": "westeurope",
            "properties": {
                "subnet": {
                    "id": "[resourceId('Microsoft.Network/virtualNetworks/subnets', 'vnet-app', 'snet-pe')]"
                },
                "privateLinkServiceConnections": [
                    {
                        "name": "blob",
                        "properties": {
                            "privateLinkServiceId": "[resourceId('Microsoft.Storage/storageAccounts', 'st0')]",
                            "groupIds": ["blob"],
                        },
                    }
                ],
            },
        },
    ]
    text = ""
    i = 0
    while True:
        doc = {
            "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
            "contentVersion": "1.0.0.0",
            "resources": resources,
        }
        text = json.dumps(doc, indent=2) + "\n"
        if text.count("\n") >= lines:
            return text
        resources.append(
            {
                "type": "Microsoft.Storage/storageAccounts",
                "apiVersion": "2023-05-01",
                "name": f"st{i}",
                "location": "westeurope",
                "sku": {"name": "Standard_LRS"},
                "kind": "StorageV2",
                "properties": {"publicNetworkAccess": "Disabled", "minimumTlsVersion": "TLS1_2"},
            }
        )
        i += 1


class Server:
    def __init__(self, plinth: str, cwd: str):
        self.proc = subprocess.Popen(
            [plinth, "lsp"], cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        self.next_id = 0

    def send(self, message: dict) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def receive(self) -> dict:
        length = 0
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise SystemExit("plinth lsp exited")
            if line in (b"\r\n", b"\n"):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return json.loads(self.proc.stdout.read(length))

    def request(self, method: str, params: dict) -> dict:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        while True:
            message = self.receive()
            if message.get("id") == self.next_id:
                return message

    def diagnostics(self, uri: str) -> list:
        while True:
            message = self.receive()
            if (
                message.get("method") == "textDocument/publishDiagnostics"
                and message["params"]["uri"] == uri
            ):
                return message["params"]["diagnostics"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plinth", default="target/release/plinth")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--lines", type=int, default=1000)
    args = parser.parse_args()
    plinth = os.path.abspath(args.plinth)
    with tempfile.TemporaryDirectory() as work:
        path = os.path.join(work, "main.json")
        texts = [template(args.lines, p) for p in ("10.0.1.0/24", "10.0.2.0/24")]
        with open(path, "w") as f:
            f.write(texts[0])
        uri = "file://" + path
        server = Server(plinth, work)
        server.request(
            "initialize", {"processId": os.getpid(), "rootUri": "file://" + work, "capabilities": {}}
        )
        server.send({"method": "initialized", "params": {}})
        server.send(
            {
                "method": "textDocument/didOpen",
                "params": {
                    "textDocument": {"uri": uri, "languageId": "json", "version": 1, "text": texts[0]}
                },
            }
        )
        first = server.diagnostics(uri)
        if not any("PE002" in str(d.get("code")) for d in first):
            raise SystemExit(f"expected PE002 on the generated template, got {first}")
        latencies = []
        for run in range(args.runs):
            text = texts[(run + 1) % 2]
            started = time.perf_counter()
            server.send(
                {
                    "method": "textDocument/didChange",
                    "params": {
                        "textDocument": {"uri": uri, "version": run + 2},
                        "contentChanges": [{"text": text}],
                    },
                }
            )
            server.diagnostics(uri)
            latencies.append((time.perf_counter() - started) * 1000)
        server.request("shutdown", {})
        server.send({"method": "exit"})
        server.proc.wait(timeout=10)
    latencies.sort()
    p90 = latencies[int(len(latencies) * 0.9) - 1]
    print(
        f"{args.lines}-line template, {args.runs} changes: median {statistics.median(latencies):.1f} ms, "
        f"p90 {p90:.1f} ms, worst {latencies[-1]:.1f} ms"
    )


if __name__ == "__main__":
    sys.exit(main())
