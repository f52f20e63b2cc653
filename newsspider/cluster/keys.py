"""Where a run lives in Redis, and the scripts that change it atomically.

Keys (prefix ``newsspider:<spider>:``): ``current`` names the run in progress; under
``run:<id>:`` are ``queue`` (scrapy-redis priority queue), ``seen`` (duplicate filter),
``leases`` (lease id -> deadline) with ``leased`` (lease id -> request), ``workers`` (worker ->
last heartbeat), ``seeding``/``seeded`` (the first worker's start requests), ``done``,
``parts`` (worker -> its part of the report), ``lost`` (workers that stopped beating) and
``unexpanded`` (article -> related links a worker did not follow: too many hops away) with
``closer`` (article -> the fewer hops another worker found it at, while its fetch was pending).
Deadlines use Redis's clock, so workers on machines with skewed clocks agree.
"""

from __future__ import annotations

from dataclasses import dataclass

# redis TIME in milliseconds, inside a script.
_NOW = "local t = redis.call('TIME'); local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"

# KEYS: current. ARGV: proposed run id, keep s, worker, stale ms, "newsspider:<spider>:run:".
# Joins the run in progress when a worker of it still beats, else starts the proposed one (a
# run whose workers all stopped is not resumed: the crawl state has what it left). The caller's
# first beat is written here, so that a worker starting a moment later joins it.
# -> {run id, 1 if this caller started it}
JOIN = (
    _NOW
    + """
local cur = redis.call('GET', KEYS[1])
if cur then
  local beats = redis.call('HVALS', ARGV[5] .. cur .. ':workers')
  for _, beat in ipairs(beats) do
    if now - tonumber(beat) <= tonumber(ARGV[4]) then
      redis.call('HSET', ARGV[5] .. cur .. ':workers', ARGV[3], now)
      redis.call('EXPIRE', KEYS[1], ARGV[2])
      return {cur, 0}
    end
  end
end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('HSET', ARGV[5] .. ARGV[1] .. ':workers', ARGV[3], now)
redis.call('EXPIRE', ARGV[5] .. ARGV[1] .. ':workers', ARGV[2])
return {ARGV[1], 1}
"""
)

# KEYS: seen. ARGV: key, "1" if the page's related links are to be followed, keep s.
# -> 1 when already seen. A page fetched without following its related links is seen again
# once, by a request that follows them (another worker found it closer to a listing).
SEEN = """
local follows = ARGV[1] .. ':expand'
local seen
if ARGV[2] == '1' then
  seen = redis.call('SADD', KEYS[1], follows) == 0
else
  seen = redis.call('SISMEMBER', KEYS[1], follows) == 1 or redis.call('SADD', KEYS[1], ARGV[1] .. ':leaf') == 0
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
if seen then return 1 end
return 0
"""

# An article fetched too many related hops from a listing to follow its related list ("leaf"),
# then found closer by another worker: the list is followed once, without a second fetch.
# KEYS: unexpanded, closer, seen. ARGV: article key ("article:<id>"), depth.
# -> the leaf's related links (JSON) when it was parsed already; 1 when a leaf fetch is pending
# (its worker follows the list at this depth when it parses it); 0 when no leaf is pending.
CLOSER = """
local links = redis.call('HGET', KEYS[1], ARGV[1])
if links then redis.call('HDEL', KEYS[1], ARGV[1]); return links end
local leaf = redis.call('SISMEMBER', KEYS[3], ARGV[1] .. ':leaf') == 1
if leaf and redis.call('SISMEMBER', KEYS[3], ARGV[1] .. ':expand') == 0 then
  local known = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or ARGV[2])
  redis.call('HSET', KEYS[2], ARGV[1], math.min(known, tonumber(ARGV[2])))
  return 1
end
return 0
"""

# KEYS: unexpanded, closer. ARGV: article key, related links (JSON). A leaf being parsed: the
# depth another worker found it at (follow the list there), or nil after keeping the list.
LEAF = """
local depth = redis.call('HGET', KEYS[2], ARGV[1])
if depth then redis.call('HDEL', KEYS[2], ARGV[1]); return tonumber(depth) end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return false
"""

# KEYS: queue, leases, leased. ARGV: lease id, lease ms. -> the request taken, or nil.
TAKE = (
    _NOW
    + """
local item = redis.call('ZRANGE', KEYS[1], 0, 0)
if #item == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])
redis.call('HSET', KEYS[3], ARGV[1], item[1])
return item[1]
"""
)

# KEYS: leases. ARGV: lease ms, lease ids... -> how many were still held (an expired lease
# that went back to the queue is not revived).
RENEW = (
    _NOW
    + """
local n = 0
for i = 2, #ARGV do
  if redis.call('ZSCORE', KEYS[1], ARGV[i]) then
    redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[i]); n = n + 1
  end
end
return n
"""
)

# KEYS: queue, leases, leased. ARGV: lease ids... Gives leased requests back to the queue now.
RELEASE = """
for i = 1, #ARGV do
  local data = redis.call('HGET', KEYS[3], ARGV[i])
  if data and redis.call('ZREM', KEYS[2], ARGV[i]) == 1 then redis.call('ZADD', KEYS[1], 0, data) end
  redis.call('HDEL', KEYS[3], ARGV[i])
end
return #ARGV
"""

# KEYS: queue, leases, leased. -> how many expired leases went back to the queue.
RECLAIM = (
    _NOW
    + """
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, 1000)
for _, id in ipairs(expired) do
  local data = redis.call('HGET', KEYS[3], id)
  if data then redis.call('ZADD', KEYS[1], 0, data) end
  redis.call('ZREM', KEYS[2], id)
  redis.call('HDEL', KEYS[3], id)
end
return #expired
"""
)

# KEYS: queue, leases, seeding, seeded, done, current. ARGV: run id, keep s.
# -> 1 when the whole run is done (and marks it so), 0 while work is left, -1 when the worker
# that seeds the run died before it finished seeding.
FINISH = """
if redis.call('EXISTS', KEYS[5]) == 1 then return 1 end
if redis.call('ZCARD', KEYS[1]) > 0 or redis.call('ZCARD', KEYS[2]) > 0 then return 0 end
if redis.call('EXISTS', KEYS[4]) == 0 then
  if redis.call('EXISTS', KEYS[3]) == 1 then return 0 end
  return -1
end
redis.call('SET', KEYS[5], 1, 'EX', ARGV[2])
if redis.call('GET', KEYS[6]) == ARGV[1] then redis.call('DEL', KEYS[6]) end
return 1
"""

# KEYS: workers, lost. ARGV: worker, stale ms, keep s. Beats for ``worker`` and returns the
# workers whose last beat is older than ``stale`` (they are moved to ``lost``).
BEAT = (
    _NOW
    + """
redis.call('HSET', KEYS[1], ARGV[1], now)
redis.call('EXPIRE', KEYS[1], ARGV[3])
local gone = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if now - tonumber(all[i + 1]) > tonumber(ARGV[2]) then
    redis.call('HDEL', KEYS[1], all[i]); redis.call('SADD', KEYS[2], all[i]); table.insert(gone, all[i])
  end
end
redis.call('EXPIRE', KEYS[2], ARGV[3])
return gone
"""
)


RUN_KEYS = (
    "queue",
    "seen",
    "leases",
    "leased",
    "workers",
    "seeding",
    "seeded",
    "done",
    "parts",
    "lost",
    "unexpanded",
    "closer",
)


@dataclass(frozen=True)
class RunKeys:
    spider: str
    run_id: str

    @property
    def prefix(self) -> str:
        return f"{runs_prefix(self.spider)}{self.run_id}:"

    def __getattr__(self, name: str) -> str:
        if name in RUN_KEYS:
            return self.prefix + name
        raise AttributeError(name)

    def all(self) -> list[str]:
        return [self.prefix + name for name in RUN_KEYS]


def runs_prefix(spider: str) -> str:
    return f"newsspider:{spider}:run:"


def current_key(spider: str) -> str:
    return f"newsspider:{spider}:current"


# KEYS: next (ms when the host may next be asked), slots (token -> expiry), delay (the shared
# AutoThrottle delay, ms). ARGV: token, interval ms, slots allowed, slot ttl ms.
# -> 0 when the request may go now (it holds a slot), else the ms to wait before asking again.
ADMIT = (
    _NOW
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[3]) then return 20 end
local interval = tonumber(ARGV[2])
local shared = tonumber(redis.call('GET', KEYS[3]) or '0')
if shared > interval then interval = shared end
local nxt = tonumber(redis.call('GET', KEYS[1]) or '0')
if nxt > now then return nxt - now end
redis.call('SET', KEYS[1], now + interval, 'PX', interval + 60000)
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[4]), ARGV[1])
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[4]))
return 0
"""
)

# KEYS: delay. ARGV: latency ms, target concurrency, start ms, min ms, max ms, 1 if the answer
# was a success. Scrapy's AutoThrottle rule, for all workers at once.
THROTTLE = """
local cur = tonumber(redis.call('GET', KEYS[1]) or ARGV[3])
local target = tonumber(ARGV[1]) / tonumber(ARGV[2])
local new = math.max(target, (cur + target) / 2)
new = math.min(math.max(tonumber(ARGV[4]), new), tonumber(ARGV[5]))
if ARGV[6] ~= '1' and new < cur then new = cur end
redis.call('SET', KEYS[1], math.floor(new), 'EX', 86400)
return math.floor(new)
"""


def host_keys(host: str) -> list[str]:
    """Shared by every run and spider that asks this host: politeness is per site, not per run."""
    return [f"newsspider:host:{host}:{name}" for name in ("next", "slots", "delay")]
