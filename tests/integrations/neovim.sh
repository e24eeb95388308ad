#!/usr/bin/env bash
# `plinth lsp` driven by a real client: Neovim headless (the Debian package)
# runs a Lua script that opens a copy of a fixture, waits for plinth's
# diagnostic, asks for the code actions, applies the quick fix (the first,
# preferred one), and checks the buffer and that the diagnostic goes away
# once Neovim has sent the change. Any step that does not happen within its
# time fails the test.
# Usage: tests/integrations/neovim.sh PATH-TO-PLINTH
set -euo pipefail

plinth=$1
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! command -v nvim >/dev/null; then
  apt-get install -y --no-install-recommends neovim >/dev/null 2>&1 ||
    { apt-get update >/dev/null && apt-get install -y --no-install-recommends neovim >/dev/null; }
fi

cp -r "$root/fixtures/PE002/bicep/bad" "$work/case"
cat >"$work/test.lua" <<'LUA'
-- vim.lsp.start_client and buf_attach_client: Debian's Neovim is 0.7.
local plinth, file = os.getenv("PLINTH"), os.getenv("CASE_FILE")
local function fail(message)
  io.stderr:write("neovim.sh: " .. message .. "\n")
  vim.cmd("cquit 1")
end
vim.cmd("edit " .. vim.fn.fnameescape(file))
local buf = vim.api.nvim_get_current_buf()
local client_id = vim.lsp.start_client({ name = "plinth", cmd = { plinth, "lsp" }, root_dir = vim.fn.fnamemodify(file, ":h") })
if not client_id then fail("plinth lsp did not start") end
vim.lsp.buf_attach_client(buf, client_id)
local function pe002()
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    local lsp = d.user_data and d.user_data.lsp or {}
    if d.code == "PE002" or lsp.code == "PE002" then return d end
  end
end
if not vim.wait(30000, function() return pe002() ~= nil end, 50) then
  fail("no PE002 diagnostic within 30 s")
end
local d = pe002()
local params = {
  textDocument = { uri = vim.uri_from_bufnr(buf) },
  range = { start = { line = d.lnum, character = d.col }, ["end"] = { line = d.end_lnum, character = d.end_col } },
  context = { diagnostics = { d.user_data.lsp } },
}
local answers = vim.lsp.buf_request_sync(buf, "textDocument/codeAction", params, 30000)
local actions = answers and answers[client_id] and answers[client_id].result
if not actions or #actions == 0 then fail("no code actions") end
local fix = actions[1]
if not fix.title:match("^Fix PE002") or not fix.isPreferred then
  fail("the first action is not the preferred fix: " .. fix.title)
end
vim.lsp.util.apply_workspace_edit(fix.edit, "utf-16")
local text = table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), "\n")
if not text:find("privateEndpointNetworkPolicies: 'Enabled'", 1, true) then
  fail("the buffer does not hold the fix")
end
if not vim.wait(30000, function() return pe002() == nil end, 50) then
  fail("PE002 still shown 30 s after the fix")
end
print("neovim.sh: diagnostic shown, quick fix applied, diagnostic gone")
vim.cmd("qall!")
LUA
PLINTH=$plinth CASE_FILE=$work/case/main.bicep \
  nvim --headless --clean -u NONE -c "luafile $work/test.lua" 2>&1 | tail -20
