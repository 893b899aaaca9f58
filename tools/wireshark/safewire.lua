-- SafeWire 1 dissector for Wireshark (3.6 and later; tested with 4.0).
--
-- Shows SafeWire records (type, version, session ID, length) and the plaintext handshake messages field by field:
-- ClientHello, ServerHello and alerts sent before keys exist. Encrypted records are shown as such; to read them,
-- run `safewire capture decrypt CAPTURE --keylog FILE` and open the capture it writes: its packets are the opened
-- records, shown by the second protocol here ("safewire_plain"), with the handshake messages, alerts, chat and
-- file-transfer frames inside. Install: copy this file into Wireshark's personal Lua plugins folder
-- (Help > About Wireshark > Folders; on Linux ~/.local/lib/wireshark/plugins/), or run
-- `wireshark -X lua_script:safewire.lua` / `tshark -X lua_script:safewire.lua`. docs/WIRESHARK.md has the details.

local safewire = Proto("safewire", "SafeWire 1")
local plain = Proto("safewire_plain", "SafeWire 1 decrypted record")

local RECORD_HEADER = 21
local VERSION = 0x5701
local MAX_BODY = 16640

local content_types = { [21] = "alert", [22] = "handshake", [23] = "application_data" }
local handshake_types = {
    [1] = "ClientHello", [2] = "ServerHello", [4] = "NewSessionTicket", [11] = "Certificate",
    [13] = "CertificateRequest", [15] = "CertificateVerify", [20] = "Finished", [24] = "KeyUpdate",
}
local suites = { [1] = "AES-256-GCM", [2] = "ChaCha20-Poly1305", [3] = "AES-256-CBC + HMAC-SHA256" }
local alerts = {
    [0] = "close_notify", [10] = "unexpected_message", [20] = "bad_record_mac", [22] = "record_overflow",
    [40] = "handshake_failure", [42] = "bad_certificate", [43] = "unsupported_certificate",
    [44] = "certificate_revoked", [45] = "certificate_expired", [46] = "certificate_unknown",
    [47] = "illegal_parameter", [48] = "unknown_ca", [49] = "access_denied", [50] = "decode_error",
    [51] = "decrypt_error", [70] = "protocol_version", [80] = "internal_error", [116] = "certificate_required",
    [200] = "no_common_cipher_suite", [201] = "handshake_timeout",
}
local trust_reasons = {
    [0] = "Expired", [1] = "NotYetValid", [2] = "UntrustedIssuer", [3] = "Revoked", [4] = "NameMismatch",
    [5] = "WrongKeyUsage", [6] = "NotOnAllowList", [7] = "HostKeyChanged", [8] = "UnknownKey", [9] = "Malformed",
    [255] = "none",
}
local schemes = { [0x0403] = "ecdsa_secp256r1_sha256", [0x0804] = "rsa_pss_rsae_sha256" }
local certificate_kinds = { [0] = "X.509 chain", [1] = "raw SubjectPublicKeyInfo" }
local modes = { [0] = "full handshake", [1] = "resumed" }
local directions = { [0] = "client -> server", [1] = "server -> client" }
local key_kinds = { [0] = "plaintext", [1] = "handshake traffic keys", [2] = "application traffic keys", [3] = "encrypted, not opened" }
local chat_types = {
    [1] = "Hello", [2] = "Welcome", [3] = "Refused", [4] = "HopOffer", [5] = "HopProof", [10] = "Chat", [11] = "Ack",
    [12] = "Relayed", [13] = "Broadcast", [14] = "Who", [15] = "WhoList", [16] = "MemberJoined", [17] = "MemberLeft",
    [18] = "Notice", [20] = "DirectData", [21] = "DirectClose", [30] = "Kicked", [31] = "ServerStopping", [32] = "Bye",
}
local file_types = {
    [0x01] = "List", [0x02] = "Stat", [0x03] = "Get", [0x04] = "Put", [0x05] = "PutFrom", [0x06] = "Delete",
    [0x07] = "MakeDirectory", [0x10] = "Data", [0x11] = "End", [0x81] = "Ok", [0x82] = "Error", [0x83] = "Entries",
    [0x84] = "GetStart", [0x85] = "PutReady",
}

local f = {
    record = ProtoField.none("safewire.record", "SafeWire record"),
    record_type = ProtoField.uint8("safewire.record.type", "Content type", base.DEC, content_types),
    record_version = ProtoField.uint16("safewire.record.version", "Version", base.HEX),
    record_session_id = ProtoField.bytes("safewire.record.session_id", "Session ID"),
    record_length = ProtoField.uint16("safewire.record.length", "Length", base.DEC),
    encrypted = ProtoField.bytes("safewire.encrypted", "Encrypted body"),

    hs_type = ProtoField.uint8("safewire.handshake.type", "Handshake type", base.DEC, handshake_types),
    hs_length = ProtoField.uint24("safewire.handshake.length", "Length", base.DEC),
    hs_fragment = ProtoField.bytes("safewire.handshake.fragment", "Fragment (continues in the next record)"),

    hello_version = ProtoField.uint16("safewire.hello.version", "Version", base.HEX),
    hello_random = ProtoField.bytes("safewire.hello.random", "Random"),
    suite_count = ProtoField.uint8("safewire.hello.suite_count", "Cipher suites offered", base.DEC),
    suite = ProtoField.uint16("safewire.hello.cipher_suite", "Cipher suite", base.HEX, suites),
    key_share_length = ProtoField.uint8("safewire.hello.key_share_length", "Key share length", base.DEC),
    key_share = ProtoField.bytes("safewire.hello.key_share", "Key share (P-256 point)"),
    server_name_length = ProtoField.uint8("safewire.hello.server_name_length", "Server name length", base.DEC),
    server_name = ProtoField.string("safewire.hello.server_name", "Server name"),
    ticket_length = ProtoField.uint16("safewire.hello.ticket_length", "Ticket length", base.DEC),
    ticket = ProtoField.bytes("safewire.hello.ticket", "Ticket"),
    session_id = ProtoField.bytes("safewire.hello.session_id", "Session ID"),
    mode = ProtoField.uint8("safewire.hello.mode", "Mode", base.DEC, modes),

    cert_kind = ProtoField.uint8("safewire.certificate.kind", "Kind", base.DEC, certificate_kinds),
    cert_count = ProtoField.uint8("safewire.certificate.count", "Entries", base.DEC),
    cert_length = ProtoField.uint24("safewire.certificate.length", "Entry length", base.DEC),
    cert_der = ProtoField.bytes("safewire.certificate.der", "Entry (DER)"),
    cv_scheme = ProtoField.uint16("safewire.certificate_verify.scheme", "Signature scheme", base.HEX, schemes),
    cv_length = ProtoField.uint16("safewire.certificate_verify.length", "Signature length", base.DEC),
    cv_signature = ProtoField.bytes("safewire.certificate_verify.signature", "Signature"),
    verify_data = ProtoField.bytes("safewire.finished.verify_data", "Verify data"),
    nst_lifetime = ProtoField.uint32("safewire.ticket.lifetime", "Lifetime (seconds)", base.DEC),
    nst_nonce = ProtoField.bytes("safewire.ticket.nonce", "Nonce"),
    nst_ticket = ProtoField.bytes("safewire.ticket.ticket", "Ticket (opaque)"),

    alert = ProtoField.uint8("safewire.alert.description", "Alert", base.DEC, alerts),
    trust_reason = ProtoField.uint8("safewire.alert.trust_reason", "Trust reason", base.DEC, trust_reasons),
}
safewire.fields = f

local p = {
    direction = ProtoField.uint8("safewire_plain.direction", "Direction", base.DEC, directions),
    keys = ProtoField.uint8("safewire_plain.keys", "Protection", base.DEC, key_kinds),
    key_generation = ProtoField.uint8("safewire_plain.key_generation", "Key updates so far", base.DEC),
    content_type = ProtoField.uint8("safewire_plain.content_type", "Content type", base.DEC, content_types),
    sequence = ProtoField.uint64("safewire_plain.sequence", "Sequence number", base.DEC),
    original_frame = ProtoField.framenum("safewire_plain.original_frame", "Original frame"),
    session_id = ProtoField.bytes("safewire_plain.session_id", "Session ID"),
    app_data = ProtoField.bytes("safewire_plain.app_data", "Application data"),
    chat_type = ProtoField.uint8("safewire_plain.chat.type", "Chat frame", base.DEC, chat_types),
    chat_length = ProtoField.uint32("safewire_plain.chat.length", "Payload length", base.DEC),
    chat_id = ProtoField.uint32("safewire_plain.chat.id", "Id", base.DEC),
    chat_name = ProtoField.string("safewire_plain.chat.name", "Name"),
    chat_text = ProtoField.string("safewire_plain.chat.text", "Text"),
    file_length = ProtoField.uint32("safewire_plain.files.length", "Frame length", base.DEC),
    file_type = ProtoField.uint8("safewire_plain.files.type", "File frame", base.DEC, file_types),
    file_path = ProtoField.string("safewire_plain.files.path", "Path"),
    file_payload = ProtoField.bytes("safewire_plain.files.payload", "Payload"),
}
plain.fields = p

local ports = "7000,7022,10101,10107"
safewire.prefs.ports = Pref.range("TCP ports", ports, "TCP ports decoded as SafeWire (the default ports of km, files, serve and vote serve)", 65535)

-- Appends to the Info column, separating several records of one packet.
local function info(pinfo, text)
    local current = tostring(pinfo.cols.info)
    if current == "" then
        pinfo.cols.info:set(text)
    else
        pinfo.cols.info:append(", " .. text)
    end
end

-- An opaque vector with a length prefix of `size` bytes; returns the offset after it, or nil when it does not fit.
local function vector(tvb, tree, offset, limit, size, length_field, value_field)
    if offset + size > limit then return nil end
    local length = tvb(offset, size):uint()
    tree:add(length_field, tvb(offset, size))
    offset = offset + size
    if offset + length > limit then
        tree:add_expert_info(PI_MALFORMED, PI_ERROR, "vector runs past the message")
        return nil
    end
    if length > 0 then tree:add(value_field, tvb(offset, length)) end
    return offset + length
end

local function client_hello(tvb, tree, offset, limit)
    if limit - offset < 35 then return end
    tree:add(f.hello_version, tvb(offset, 2))
    tree:add(f.hello_random, tvb(offset + 2, 32))
    local count = tvb(offset + 34, 1):uint()
    tree:add(f.suite_count, tvb(offset + 34, 1))
    offset = offset + 35
    for _ = 1, count do
        if offset + 2 > limit then return end
        tree:add(f.suite, tvb(offset, 2))
        offset = offset + 2
    end
    offset = vector(tvb, tree, offset, limit, 1, f.key_share_length, f.key_share)
    if not offset then return end
    offset = vector(tvb, tree, offset, limit, 1, f.server_name_length, f.server_name)
    if not offset then return end
    vector(tvb, tree, offset, limit, 2, f.ticket_length, f.ticket)
end

local function server_hello(tvb, tree, offset, limit)
    if limit - offset < 52 then return end
    tree:add(f.hello_version, tvb(offset, 2))
    tree:add(f.hello_random, tvb(offset + 2, 32))
    tree:add(f.suite, tvb(offset + 34, 2))
    tree:add(f.session_id, tvb(offset + 36, 16))
    offset = vector(tvb, tree, offset + 52, limit, 1, f.key_share_length, f.key_share)
    if offset and offset < limit then tree:add(f.mode, tvb(offset, 1)) end
end

local function certificate(tvb, tree, offset, limit)
    if limit - offset < 2 then return end
    tree:add(f.cert_kind, tvb(offset, 1))
    local count = tvb(offset + 1, 1):uint()
    tree:add(f.cert_count, tvb(offset + 1, 1))
    offset = offset + 2
    for _ = 1, count do
        offset = vector(tvb, tree, offset, limit, 3, f.cert_length, f.cert_der)
        if not offset then return end
    end
end

local function certificate_verify(tvb, tree, offset, limit)
    if limit - offset < 2 then return end
    tree:add(f.cv_scheme, tvb(offset, 2))
    vector(tvb, tree, offset + 2, limit, 2, f.cv_length, f.cv_signature)
end

local function new_session_ticket(tvb, tree, offset, limit)
    if limit - offset < 5 then return end
    tree:add(f.nst_lifetime, tvb(offset, 4))
    local nonce_length = tvb(offset + 4, 1):uint()
    if offset + 5 + nonce_length + 2 > limit then return end
    tree:add(f.nst_nonce, tvb(offset + 5, nonce_length))
    local at = offset + 5 + nonce_length
    local ticket_length = tvb(at, 2):uint()
    if at + 2 + ticket_length <= limit and ticket_length > 0 then tree:add(f.nst_ticket, tvb(at + 2, ticket_length)) end
end

-- Handshake messages (type u8, length u24, body) in [offset, limit); returns their names for the Info column.
local function handshake_messages(tvb, pinfo, tree, offset, limit)
    local names = {}
    while limit - offset >= 4 do
        local kind = tvb(offset, 1):uint()
        local length = tvb(offset + 1, 3):uint()
        local name = handshake_types[kind] or ("handshake type " .. kind)
        if offset + 4 + length > limit then
            tree:add(f.hs_fragment, tvb(offset, limit - offset))
            names[#names + 1] = name .. " (fragment)"
            return names
        end
        local subtree = tree:add(safewire, tvb(offset, 4 + length), name)
        subtree:set_text(name .. " (" .. length .. "-byte body)")
        subtree:add(f.hs_type, tvb(offset, 1))
        subtree:add(f.hs_length, tvb(offset + 1, 3))
        local body = offset + 4
        local finish = body + length
        if kind == 1 then client_hello(tvb, subtree, body, finish)
        elseif kind == 2 then server_hello(tvb, subtree, body, finish)
        elseif kind == 11 then certificate(tvb, subtree, body, finish)
        elseif kind == 15 then certificate_verify(tvb, subtree, body, finish)
        elseif kind == 20 and length > 0 then subtree:add(f.verify_data, tvb(body, length))
        elseif kind == 4 then new_session_ticket(tvb, subtree, body, finish)
        end
        names[#names + 1] = name
        offset = finish
    end
    return names
end

local function alert(tvb, tree, offset, limit)
    if limit - offset < 2 then return "Alert (malformed)" end
    tree:add(f.alert, tvb(offset, 1))
    tree:add(f.trust_reason, tvb(offset + 1, 1))
    local code = tvb(offset, 1):uint()
    return "Alert (" .. (alerts[code] or tostring(code)) .. ")"
end

-- One record on the wire (header + body).
local function dissect_record(tvb, pinfo, tree)
    pinfo.cols.protocol:set("SafeWire")
    local kind = tvb(0, 1):uint()
    local length = tvb(19, 2):uint()
    local subtree = tree:add(safewire, tvb(0, RECORD_HEADER + length))
    subtree:add(f.record_type, tvb(0, 1))
    subtree:add(f.record_version, tvb(1, 2))
    subtree:add(f.record_session_id, tvb(3, 16))
    subtree:add(f.record_length, tvb(19, 2))
    local limit = RECORD_HEADER + length
    local text
    if kind == 22 then
        text = table.concat(handshake_messages(tvb, pinfo, subtree, RECORD_HEADER, limit), ", ")
    elseif kind == 21 then
        text = alert(tvb, subtree, RECORD_HEADER, limit)
    else
        if length > 0 then subtree:add(f.encrypted, tvb(RECORD_HEADER, length)) end
        text = "Encrypted record"
    end
    subtree:append_text(": " .. (content_types[kind] or tostring(kind)) .. ", " .. length .. " bytes, " .. text)
    info(pinfo, text)
    return limit
end

local function record_length(tvb, pinfo, offset)
    return RECORD_HEADER + tvb(offset + 19, 2):uint()
end

function safewire.dissector(tvb, pinfo, tree)
    return dissect_tcp_pdus(tvb, tree, RECORD_HEADER, record_length, dissect_record, true)
end

-- A SafeWire record header: known type, version 0x5701, length within the limit.
local function looks_like_record(tvb)
    if tvb:len() < RECORD_HEADER then return false end
    local kind = tvb(0, 1):uint()
    return kind >= 21 and kind <= 23 and tvb(1, 2):uint() == VERSION and tvb(19, 2):uint() <= MAX_BODY
end

local function heuristic(tvb, pinfo, tree)
    if not looks_like_record(tvb) then return false end
    pinfo.conversation = safewire
    safewire.dissector(tvb, pinfo, tree)
    return true
end

-- Chat frames (u8 type | u32 length | payload): strings are u16 length | UTF-8.
local function chat_string(tvb, tree, field, offset, limit)
    if offset + 2 > limit then return nil end
    local length = tvb(offset, 2):uint()
    if offset + 2 + length > limit then return nil end
    local item = tree:add(field, tvb(offset + 2, length))
    return offset + 2 + length, tvb(offset + 2, length):string(ENC_UTF_8), item
end

local function chat_frames(tvb, tree, offset, limit)
    local names = {}
    while limit - offset >= 5 do
        local kind = tvb(offset, 1):uint()
        local length = tvb(offset + 1, 4):uint()
        if not chat_types[kind] or offset + 5 + length > limit then return nil end
        local subtree = tree:add(plain, tvb(offset, 5 + length), "Chat " .. chat_types[kind])
        subtree:add(p.chat_type, tvb(offset, 1))
        subtree:add(p.chat_length, tvb(offset + 1, 4))
        local body = offset + 5
        local finish = body + length
        local label = chat_types[kind]
        if kind == 1 or kind == 18 or kind == 30 or kind == 31 then
            local _, text = chat_string(tvb, subtree, kind == 1 and p.chat_name or p.chat_text, body, finish)
            if text then label = label .. " \"" .. text .. "\"" end
        elseif kind == 10 and length >= 4 then
            subtree:add(p.chat_id, tvb(body, 4))
            local _, text = chat_string(tvb, subtree, p.chat_text, body + 4, finish)
            if text then label = label .. " \"" .. text .. "\"" end
        elseif kind == 12 and length >= 4 then
            subtree:add(p.chat_id, tvb(body, 4))
            local at, name = chat_string(tvb, subtree, p.chat_name, body + 4, finish)
            if at and at + 8 <= finish then
                local _, text = chat_string(tvb, subtree, p.chat_text, at + 8, finish)
                if text then label = label .. " from " .. name .. ": \"" .. text .. "\"" end
            end
        elseif kind == 13 and length >= 8 then
            local _, text = chat_string(tvb, subtree, p.chat_text, body + 8, finish)
            if text then label = label .. " \"" .. text .. "\"" end
        elseif kind == 2 and length >= 4 then
            subtree:add(p.chat_id, tvb(body, 4))
            local _, name = chat_string(tvb, subtree, p.chat_name, body + 4, finish)
            if name then label = label .. " #" .. tvb(body, 4):uint() .. " \"" .. name .. "\"" end
        end
        names[#names + 1] = label
        offset = finish
    end
    if offset ~= limit or #names == 0 then return nil end
    return names
end

-- File frames (u32 length | u8 type | payload); a Data frame may continue in later records.
local function file_frame(tvb, tree, offset, limit)
    if limit - offset < 5 then return nil end
    local length = tvb(offset, 4):uint()
    local kind = tvb(offset + 4, 1):uint()
    if length == 0 or length > 1048576 or not file_types[kind] then return nil end
    local subtree = tree:add(plain, tvb(offset, limit - offset), "File frame " .. file_types[kind])
    subtree:add(p.file_length, tvb(offset, 4))
    subtree:add(p.file_type, tvb(offset + 4, 1))
    local label = "Files " .. file_types[kind]
    local body = offset + 5
    if (kind <= 0x04 or kind == 0x06 or kind == 0x07) and limit - body >= 2 then
        local _, path = chat_string(tvb, subtree, p.file_path, body, limit)
        if path then label = label .. " \"" .. path .. "\"" end
    elseif limit > body then
        subtree:add(p.file_payload, tvb(body, limit - body))
    end
    return label
end

-- One decrypted record written by `safewire capture decrypt` (see its pseudo-header in docs/WIRESHARK.md).
function plain.dissector(tvb, pinfo, tree)
    if tvb:len() < 32 then return 0 end
    pinfo.cols.protocol:set("SafeWire")
    local subtree = tree:add(plain, tvb())
    subtree:add(p.direction, tvb(0, 1))
    subtree:add(p.keys, tvb(1, 1))
    subtree:add(p.key_generation, tvb(2, 1))
    subtree:add(p.content_type, tvb(3, 1))
    subtree:add(p.sequence, tvb(4, 8))
    subtree:add(p.original_frame, tvb(12, 4), tvb(12, 4):uint())
    subtree:add(p.session_id, tvb(16, 16))
    local keys = tvb(1, 1):uint()
    local kind = tvb(3, 1):uint()
    local limit = tvb:len()
    local text
    if keys == 3 then
        text = "Encrypted record (not opened)"
    elseif kind == 22 then
        text = table.concat(handshake_messages(tvb, pinfo, subtree, 32, limit), ", ")
    elseif kind == 21 then
        text = alert(tvb, subtree, 32, limit)
    else
        if limit > 32 then subtree:add(p.app_data, tvb(32, limit - 32)) end
        local names = chat_frames(tvb, subtree, 32, limit)
        if names then
            text = table.concat(names, ", ")
        else
            text = file_frame(tvb, subtree, 32, limit) or ("Application data, " .. (limit - 32) .. " bytes")
        end
    end
    local prefix = keys == 0 and "" or "[" .. (key_kinds[keys] or "?") .. "] "
    subtree:append_text(": " .. (directions[tvb(0, 1):uint()] or "?") .. ", " .. text)
    info(pinfo, prefix .. text)
    return limit
end

local tcp_port = DissectorTable.get("tcp.port")
tcp_port:add(ports, safewire)
safewire:register_heuristic("tcp", heuristic)

function safewire.prefs_changed()
    tcp_port:remove(ports, safewire)
    ports = tostring(safewire.prefs.ports)
    tcp_port:add(ports, safewire)
end
