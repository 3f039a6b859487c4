-- wrk script: each connection is one worker with its own token, looping
-- POST /projects/P/next once, then POST /assignments/{id}/submit?next=true.
-- Environment: LOOP_TOKENS (a file, one token per line), LOOP_PROJECT (the project id).
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("index", counter)
  table.insert(threads, thread)
end

function init(args)
  local i = 0
  for line in io.lines(os.getenv("LOOP_TOKENS")) do
    i = i + 1
    if i == index then token = line end
  end
  project = os.getenv("LOOP_PROJECT")
  labels = {"cat", "dog", "bird"}
  headers = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}
  aid = nil
  answers = 0
  errors = 0
  math.randomseed(index)
end

function request()
  if aid == nil then
    return wrk.format("POST", "/api/v1/projects/" .. project .. "/next", headers, "")
  end
  local body = '{"answer":"' .. labels[math.random(#labels)] .. '"}'
  return wrk.format("POST", "/api/v1/assignments/" .. aid .. "/submit?next=true", headers, body)
end

function response(status, headers, body)
  if status ~= 200 then
    errors = errors + 1
    aid = nil
    return
  end
  if aid == nil then
    aid = body:match('^{"id":(%d+)')
  else
    answers = answers + 1
    aid = body:match('"next":{"id":(%d+)')
  end
end

function done(summary, latency, requests)
  local a, e = 0, 0
  for _, t in ipairs(threads) do
    a = a + t:get("answers")
    e = e + t:get("errors")
  end
  io.write(string.format(
    '{"answers": %d, "errors": %d, "requests": %d, "duration_s": %.3f, "p50_ms": %.1f, "p99_ms": %.1f}\n',
    a, e, summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
