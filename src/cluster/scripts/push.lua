-- Numbers one frame in the shared history of each of its recipients and publishes it, with
-- those numbers, to the account's channel: one step, so that every node hears each user's
-- frames in the order of their numbers.
-- ARGV: prefix, account id, seconds a history lives unused, frames a history keeps, "1" when
-- the account's managers get it ("x" when an earlier piece of the same push gave it to them,
-- so that a listed user who is a manager is left out here), the message's head (publisher
-- and header up to the numbers), the frame, then the users it is for.
local prefix, account = ARGV[1], ARGV[2]
local ttl, keep = tonumber(ARGV[3]), tonumber(ARGV[4])
local managers = prefix .. ':managers:' .. account
local users, seen = {}, {}
local function add(user)
  if not seen[user] then
    seen[user] = true
    users[#users + 1] = user
  end
end
if ARGV[5] == 'x' then
  for _, manager in ipairs(redis.call('SMEMBERS', managers)) do seen[manager] = true end
end
for i = 8, #ARGV do add(ARGV[i]) end
if ARGV[5] == '1' then
  for _, manager in ipairs(redis.call('SMEMBERS', managers)) do add(manager) end
end
local to = {}
for _, user in ipairs(users) do
  local feed = prefix .. ':feed:' .. user
  local epoch = history(feed, redis.call('HGET', feed, 'epoch'))
  local seq = redis.call('HINCRBY', feed, 'seq', 1)
  redis.call('XADD', feed .. ':log', 'MAXLEN', '~', keep, '0-' .. seq, 'f', ARGV[7])
  redis.call('EXPIRE', feed, ttl)
  redis.call('EXPIRE', feed .. ':log', ttl)
  to[#to + 1] = user .. ' ' .. epoch .. ' ' .. seq
end
redis.call('PUBLISH', prefix .. ':frames:' .. account,
  ARGV[6] .. table.concat(to, ',') .. '"}\n' .. ARGV[7])
return #to
