-- The frames of a user's shared history after the client's last one, when that history is
-- the client's (any, when the client named none) and still holds every frame since; nil
-- otherwise (the client gets a snapshot).
-- ARGV: prefix, user id, epoch or "", the client's last seq.
local feed = ARGV[1] .. ':feed:' .. ARGV[2]
local epoch = redis.call('HGET', feed, 'epoch')
if not epoch or (ARGV[3] ~= '' and epoch ~= ARGV[3]) then return false end
local seq = tonumber(redis.call('HGET', feed, 'seq'))
local last = tonumber(ARGV[4])
if last > seq then return false end
local frames = {}
if last == seq then return frames end
local first = '0-' .. string.format('%d', last + 1)
local entries = redis.call('XRANGE', feed .. ':log', first, '+')
if #entries == 0 or entries[1][1] ~= first then return false end
for i, entry in ipairs(entries) do frames[i] = entry[2][2] end
return frames
