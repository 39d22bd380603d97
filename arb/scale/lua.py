"""The Redis scripts of :mod:`arb.scale.redis_coord`. Each runs atomically inside Redis (no other command
interleaves), which is what makes "check free − reserved ≥ amount, then reserve" one step for all workers.

Keys (under the prefix ``P``): ``kill`` / ``halt`` = a shared kill (its reason) / halt (JSON), which refuse
every reservation; ``avail:VENUE:ASSET`` = published free balance − live holds, in atoms;
``fly:asset:A`` / ``fly:venue:V`` = in-flight notional atoms; ``flight`` = opportunities in flight;
``open:asset:A`` / ``open:venue:V`` = hash shard → open exposure atoms; ``tok:TOKEN`` = hash of
what undoes the token's claims (field = key, value = delta to add back) plus ``_worker``; ``tokens`` = the
live tokens; ``lease:WORKER`` = a worker's lease (expires without heartbeats); ``gen:VENUE`` = bumped by
every change of the venue's holds (a balance snapshot is applied only if it did not move while fetched).

Every script first drops the claims of workers whose lease expired (their holds come back to ``avail``).
Integer replies are compared by sign only (exact whatever their size); exposure sums are Lua numbers,
exact up to 2^53 atoms (90 million quote units per asset or venue).
"""

from __future__ import annotations

REAP = """
local P = ARGV[1]
local function undo(tk)
  local f = redis.call('HGETALL', tk)
  for i = 1, #f, 2 do
    if string.sub(f[i], 1, 1) ~= '_' then
      redis.call('INCRBY', P .. f[i], f[i + 1])
      local v = string.match(f[i], '^avail:([^:]+):')
      if v then redis.call('INCR', P .. 'gen:' .. v) end
    end
  end
end
for _, t in ipairs(redis.call('SMEMBERS', P .. 'tokens')) do
  local tk = P .. 'tok:' .. t
  local w = redis.call('HGET', tk, '_worker')
  if (not w) or redis.call('EXISTS', P .. 'lease:' .. w) == 0 then
    undo(tk)
    redis.call('DEL', tk)
    redis.call('SREM', P .. 'tokens', t)
  end
end
"""

# Shared by RESERVE and EXTEND: the lease check, the undo list, the balance holds from ARGV[idx] on (n holds of
# venue, asset, atoms, limited: this worker tracks that venue's balance, so an unpublished one refuses) ...
_BEGIN = """
local token, worker = ARGV[2], ARGV[3]
if redis.call('EXISTS', P .. 'lease:' .. worker) == 0 then return {'coordinator', 'lease expired'} end
local done = {}
local function rollback()
  for _, d in ipairs(done) do redis.call('INCRBY', P .. d[1], d[2]) end
end
local function hold(idx, n)
  for i = 1, n do
    local v, a, x, limited = ARGV[idx], ARGV[idx + 1], ARGV[idx + 2], ARGV[idx + 3]
    idx = idx + 4
    local k = 'avail:' .. v .. ':' .. a
    if redis.call('EXISTS', P .. k) == 1 then
      local left = redis.call('DECRBY', P .. k, x)
      table.insert(done, {k, x})
      if left < 0 then rollback() return nil, {'min_balance', v .. ' ' .. a} end
    elseif limited == '1' then
      rollback() return nil, {'min_balance', v .. ' ' .. a .. ' not published yet'}
    end
  end
  return idx, nil
end
"""
# ... and what makes the claims the token's (undone when it is released or its worker's lease ends)
_COMMIT = """
local tk = P .. 'tok:' .. token
redis.call('HSET', tk, '_worker', worker)
for _, d in ipairs(done) do
  redis.call('HINCRBY', tk, d[1], d[2])
  local v = string.match(d[1], '^avail:([^:]+):')
  if v then redis.call('INCR', P .. 'gen:' .. v) end
end
redis.call('SADD', P .. 'tokens', token)
return {'ok', ''}
"""

# ARGV: P, token, worker, max_in_flight, n, n × (venue, asset, atoms, limited), m, m × (key, atoms, limit, open, why)
RESERVE = (
    REAP
    + _BEGIN
    + """
-- a shared kill or halt refuses in this same atomic step: no worker trades before its poll adopts it
local killed = redis.call('GET', P .. 'kill')
if killed then return {'halted_kill', killed} end
local halt = redis.call('GET', P .. 'halt')
if halt then
  local ok, doc = pcall(cjson.decode, halt)
  local reason = ok and type(doc) == 'table' and doc['reason']
  if type(reason) ~= 'string' then reason = '?' end
  return {'halted_' .. reason, halt}
end
local flying = redis.call('INCR', P .. 'flight')
table.insert(done, {'flight', -1})
if flying > tonumber(ARGV[4]) then rollback() return {'in_flight', ''} end
local idx, refused = hold(6, tonumber(ARGV[5]))
if refused then return refused end
local m = tonumber(ARGV[idx])
idx = idx + 1
for i = 1, m do
  local k, n, limit, open, why = ARGV[idx], ARGV[idx + 1], ARGV[idx + 2], ARGV[idx + 3], ARGV[idx + 4]
  idx = idx + 5
  local total = redis.call('INCRBY', P .. k, n)
  table.insert(done, {k, '-' .. n})
  for _, x in ipairs(redis.call('HVALS', P .. open)) do total = total + tonumber(x) end
  if total > tonumber(limit) then rollback() return {why, k} end
end
"""
    + _COMMIT
)

# ARGV: P, token, worker, n, n × (venue, asset, atoms, limited): more holds under a token (a hedge or retry order
# of its opportunity; a new token for a restart hedge) — the balance check only: no in-flight slot, no limits
EXTEND = (
    REAP
    + _BEGIN
    + """
local _, refused = hold(5, tonumber(ARGV[4]))
if refused then return refused end
"""
    + _COMMIT
)

# ARGV: P, token, venue, n, n × (asset, flow atoms): the venue's holds of token come back, the flows apply
SETTLE = (
    REAP
    + """
local token, venue = ARGV[2], ARGV[3]
local tk = P .. 'tok:' .. token
local prefix = 'avail:' .. venue .. ':'
local f = redis.call('HGETALL', tk)
for i = 1, #f, 2 do
  if string.sub(f[i], 1, #prefix) == prefix then
    redis.call('INCRBY', P .. f[i], f[i + 1])
    redis.call('HDEL', tk, f[i])
  end
end
local idx = 5
for i = 1, tonumber(ARGV[4]) do
  local k = P .. prefix .. ARGV[idx]
  if redis.call('EXISTS', k) == 1 then redis.call('INCRBY', k, ARGV[idx + 1]) end
  idx = idx + 2
end
redis.call('INCR', P .. 'gen:' .. venue)
return 1
"""
)

# ARGV: P, token, keep venues (space separated): undo every claim but the holds on kept venues
RELEASE = (
    REAP
    + """
local token = ARGV[2]
local keep = ' ' .. ARGV[3] .. ' '
local tk = P .. 'tok:' .. token
local f = redis.call('HGETALL', tk)
local left = 0
for i = 1, #f, 2 do
  if string.sub(f[i], 1, 1) ~= '_' then
    local v = string.match(f[i], '^avail:([^:]+):')
    if v and string.find(keep, ' ' .. v .. ' ', 1, true) then
      left = left + 1
    else
      redis.call('INCRBY', P .. f[i], f[i + 1])
      redis.call('HDEL', tk, f[i])
      if v then redis.call('INCR', P .. 'gen:' .. v) end
    end
  end
end
if left == 0 then
  redis.call('DEL', tk)
  redis.call('SREM', P .. 'tokens', token)
end
return left
"""
)

# ARGV: P, venue, generation seen when the fetch started, n, n × (asset, free atoms)
PUBLISH = (
    REAP
    + """
local venue = ARGV[2]
if tostring(redis.call('GET', P .. 'gen:' .. venue) or '0') ~= ARGV[3] then return 0 end
local prefix = 'avail:' .. venue .. ':'
for _, t in ipairs(redis.call('SMEMBERS', P .. 'tokens')) do
  for _, k in ipairs(redis.call('HKEYS', P .. 'tok:' .. t)) do
    if string.sub(k, 1, #prefix) == prefix then return 0 end
  end
end
local idx = 5
for i = 1, tonumber(ARGV[4]) do
  redis.call('SET', P .. prefix .. ARGV[idx], ARGV[idx + 1])
  idx = idx + 2
end
return 1
"""
)
