-- wrk -s serve_post.lua: every request is POST /invocations, Content-Type text/csv, whose body
-- is the content of the file named by $BODY_FILE (bench/serve_vs_fastapi.sh and
-- bench/serve_hot_swap.sh write there one real record of the benchmark data, without its label,
-- in the model's input order). As bench/http/post.lua: no response() callback, which would make
-- wrk run Lua per response and slow the client; wrk's own "Non-2xx or 3xx responses" line
-- reports failed answers.
local path = os.getenv("BODY_FILE")
if path == nil or path == "" then
  error("serve_post.lua: set BODY_FILE to the file holding the request body")
end
local f = assert(io.open(path, "rb"))
local body = f:read("*a")
f:close()

wrk.method = "POST"
wrk.path = "/invocations"
wrk.headers["Content-Type"] = "text/csv"
wrk.body = body
