-- Shared by the scripts that number frames (prepended to each): the history a user's feed
-- key numbers frames in, `epoch` when it has one, else a new one whose log starts empty.
local function history(feed, epoch)
  if epoch then return epoch end
  local now = redis.call('TIME')
  epoch = now[1] .. string.format('%06d', tonumber(now[2]))
  redis.call('DEL', feed .. ':log')
  redis.call('HSET', feed, 'epoch', epoch, 'seq', 0)
  return epoch
end
