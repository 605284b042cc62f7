-- Registers a connection of a user: answers the shared history their frames are numbered in
-- (made when missing, and made anew when their role changed, so that no frame meant for
-- their old role is replayed to them) and its last number; keeps the account's managers.
-- ARGV: prefix, account id, user id, "1" for a manager, seconds a history lives unused.
local feed = ARGV[1] .. ':feed:' .. ARGV[3]
local managers = ARGV[1] .. ':managers:' .. ARGV[2]
local ttl = tonumber(ARGV[5])
local epoch = redis.call('HGET', feed, 'epoch')
local role = redis.call('HGET', feed, 'role')
if epoch and role and role ~= ARGV[4] then epoch = nil end
epoch = history(feed, epoch)
redis.call('HSET', feed, 'role', ARGV[4])
if ARGV[4] == '1' then
  redis.call('SADD', managers, ARGV[3])
  redis.call('EXPIRE', managers, ttl)
else
  redis.call('SREM', managers, ARGV[3])
end
redis.call('EXPIRE', feed, ttl)
redis.call('EXPIRE', feed .. ':log', ttl)
return {epoch, redis.call('HGET', feed, 'seq')}
