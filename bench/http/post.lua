-- wrk -s post.lua: every request is POST /invocations with one CSV row of 28 features.
-- (No response() callback: it would make wrk run Lua per response and slow the client; wrk's
-- own "Non-2xx or 3xx responses" line reports failed answers.)
wrk.method = "POST"
wrk.path = "/invocations"
wrk.headers["Content-Type"] = "text/csv"
wrk.body = "-2.0000,-0.5200,0.9600,-1.5600,-0.0800,1.4000,-1.1200,0.3600,1.8400,-0.6800,"
  .. "0.8000,-1.7200,-0.2400,1.2400,-1.2800,0.2000,1.6800,-0.8400,0.6400,-1.8800,"
  .. "-0.4000,1.0800,-1.4400,0.0400,1.5200,-1.0000,0.4800,1.9600\n"
