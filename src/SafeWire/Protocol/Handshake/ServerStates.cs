using System.Security.Cryptography;
using SafeWire.Identity;
using SafeWire.Protocol.KeySchedule;
using SafeWire.Protocol.Messages;

namespace SafeWire.Protocol.Handshake;

// Server: ExpectClientHello -> (sends ServerHello, [CertificateRequest], Certificate, CertificateVerify, Finished)
//         -> [client auth] ExpectClientCertificate -> [non-empty] ExpectClientCertificateVerify
//         -> ExpectClientFinished -> (sends NewSessionTicket) -> Established
//         resumed: (sends ServerHello, Finished) -> ExpectClientFinished

/// <summary>
/// Secrets the server carries from its flight to the client's Finished. It owns all of them until
/// <see cref="HandOver"/> (the client application secret then belongs to the record layer, the exporter to the result).
/// </summary>
internal sealed class ServerKeys : IDisposable
{
    private bool _handedOver;

    public required CipherSuite Suite { get; init; }

    public required byte[] SessionId { get; init; }

    public required HandshakeTrafficSecret ClientTraffic { get; init; }

    public required MasterSecret Master { get; init; }

    public required ApplicationTrafficSecret ClientApplication { get; init; }

    public required ExporterSecret Exporter { get; init; }

    public required bool Resumed { get; init; }

    /// <summary>The client application secret and the exporter now have other owners.</summary>
    public void HandOver() => _handedOver = true;

    public void Dispose()
    {
        ClientTraffic.Dispose();
        Master.Dispose();
        if (!_handedOver)
        {
            ClientApplication.Dispose();
            Exporter.Dispose();
        }
    }
}

internal sealed class ExpectClientHello : HandshakeState
{
    public override string Expecting => "ClientHello";

    public override HandshakeState Handle(HandshakeContext context, HandshakeType type, ReadOnlySpan<byte> body, byte[] message)
    {
        if (type != HandshakeType.ClientHello)
        {
            throw Unexpected(type);
        }

        var s = context.Settings;

        // Cheap checks first: parse, version, suite, share shape, ticket (one AEAD) -- all before any ECDH.
        var hello = ClientHello.Read(body);
        if (hello.Version != ProtocolConstants.Version)
        {
            throw new ProtocolException(Alert.ProtocolVersion, $"The client offered protocol version 0x{hello.Version:x4}; this server speaks 0x{ProtocolConstants.Version:x4} (SafeWire 1).");
        }

        // The client lists its suites in preference order: the first one this server accepts wins.
        var offered = hello.CipherSuites.Where(CipherSuites.IsKnown).Select(c => (CipherSuite)c).ToList();
        var chosen = offered.FirstOrDefault(s.CipherSuites.Contains);
        if (chosen == default)
        {
            throw new ProtocolException(Alert.NoCommonCipherSuite, $"No common cipher suite: the client offered [{string.Join(", ", hello.CipherSuites.Select(c => "0x" + c.ToString("x4", null)))}], this server accepts [{string.Join(", ", s.CipherSuites)}].");
        }

        HandshakeCrypto.CheckPointShape(hello.KeyShare);

        TicketState? resumed = null;
        if (hello.Ticket.Length > 0 && s.TicketStore is { } store)
        {
            resumed = store.TryRedeem(hello.Ticket, s.Now);
            if (resumed is not null && (!offered.Contains(resumed.Suite) || !s.CipherSuites.Contains(resumed.Suite)
                || (s.RequireClientCredential && resumed.Client is null)))
            {
                resumed = null;
            }
        }

        var suite = resumed?.Suite ?? chosen;
        using var pending = new PendingSecrets();
        using var ephemeral = s.CreateEphemeralKey();
        var shared = HandshakeCrypto.SharedSecret(ephemeral, hello.KeyShare);
        context.AddToTranscript(message);

        var random = new byte[ProtocolConstants.RandomLength];
        s.Random(random);
        var sessionId = new byte[ProtocolConstants.SessionIdLength];
        s.Random(sessionId);
        context.Send(new ServerHello(ProtocolConstants.Version, random, (ushort)suite, sessionId, HandshakeCrypto.PublicPoint(ephemeral), resumed is not null).Encode());

        var hash = context.TranscriptHash();
        using var early = EarlySecret.Create(context.Derivation, resumed?.PreSharedKey ?? []);
        using var handshake = early.ToHandshakeSecret(shared);
        CryptographicOperations.ZeroMemory(shared);
        if (resumed is not null)
        {
            CryptographicOperations.ZeroMemory(resumed.PreSharedKey);
        }

        var clientTraffic = pending.Add(handshake.ClientTrafficSecret(hash));
        using var serverTraffic = handshake.ServerTrafficSecret(hash);
        context.Records.ChangeWriteKeys(suite, serverTraffic);
        context.Records.SetSessionId(sessionId);
        context.Records.ChangeReadKeys(suite, clientTraffic);

        bool requestCertificate = resumed is null && s.PeerVerifier is not null;
        if (resumed is null)
        {
            var credential = s.Credential!;
            if (requestCertificate)
            {
                context.Send(EmptyMessage.Encode(HandshakeType.CertificateRequest));
            }

            context.Send(new CertificateMessage(credential.Presented.IsRawPublicKey, ExpectServerFinished.Entries(credential)).Encode());
            var content = HandshakeCrypto.SignedContent(HandshakeCrypto.ServerContext, context.TranscriptHash());
            context.Send(s.Sign(credential, content).Encode());
        }

        context.Send(FinishedMessage.Encode(HandshakeCrypto.FinishedMac(serverTraffic.FinishedKey(), context.TranscriptHash())));
        var serverFinishedHash = context.TranscriptHash();
        var master = pending.Add(handshake.ToMasterSecret());
        var serverApp = pending.Add(master.ServerTrafficSecret(serverFinishedHash));
        var keys = pending.Add(new ServerKeys
        {
            Suite = suite,
            SessionId = sessionId,
            ClientTraffic = clientTraffic,
            Master = master,
            ClientApplication = pending.Add(master.ClientTrafficSecret(serverFinishedHash)),
            Exporter = pending.Add(master.ExporterSecret(serverFinishedHash)),
            Resumed = resumed is not null,
        });
        context.Records.ChangeWriteKeys(suite, serverApp);
        pending.Keep();

        return requestCertificate
            ? new ExpectClientCertificate(keys)
            : new ExpectClientFinished(keys, resumed?.Client);
    }
}

internal sealed class ExpectClientCertificate(ServerKeys keys) : HandshakeState
{
    public override string Expecting => "Certificate";

    protected override void ReleaseSecrets() => keys.Dispose();

    public override HandshakeState Handle(HandshakeContext context, HandshakeType type, ReadOnlySpan<byte> body, byte[] message)
    {
        if (type != HandshakeType.Certificate)
        {
            throw Unexpected(type);
        }

        var certificate = CertificateMessage.Read(body);
        var s = context.Settings;
        if (certificate.Entries.Length == 0)
        {
            if (s.RequireClientCredential)
            {
                throw new ProtocolException(Alert.CertificateRequired, "This server requires a client certificate or key, and the client sent none.", TrustFailureReason.UnknownKey);
            }

            context.AddToTranscript(message);
            return new ExpectClientFinished(keys, null);
        }

        var identity = HandshakeCrypto.VerifyPeer(certificate, s.PeerVerifier!, new PeerVerificationContext(PeerRole.Client, null, s.Now));
        context.AddToTranscript(message);
        return new ExpectClientCertificateVerify(keys, identity);
    }
}

internal sealed class ExpectClientCertificateVerify(ServerKeys keys, PeerIdentity client) : HandshakeState
{
    public override string Expecting => "CertificateVerify";

    protected override void ReleaseSecrets() => keys.Dispose();

    public override HandshakeState Handle(HandshakeContext context, HandshakeType type, ReadOnlySpan<byte> body, byte[] message)
    {
        if (type != HandshakeType.CertificateVerify)
        {
            throw Unexpected(type);
        }

        HandshakeCrypto.CheckPeerSignature(body, client, HandshakeCrypto.ClientContext, context.TranscriptHash(),
            "The client's signature over the handshake transcript does not verify.");

        context.AddToTranscript(message);
        return new ExpectClientFinished(keys, client);
    }
}

internal sealed class ExpectClientFinished(ServerKeys keys, PeerIdentity? client) : HandshakeState
{
    public override string Expecting => "Finished";

    protected override void ReleaseSecrets() => keys.Dispose();

    public override HandshakeState Handle(HandshakeContext context, HandshakeType type, ReadOnlySpan<byte> body, byte[] message)
    {
        if (type != HandshakeType.Finished)
        {
            throw Unexpected(type);
        }

        HandshakeCrypto.CheckPeerFinished(keys.ClientTraffic.FinishedKey(), context.TranscriptHash(), body,
            "The client's Finished does not match the transcript: the handshake was modified in transit.");

        context.AddToTranscript(message);
        context.Records.ChangeReadKeys(keys.Suite, keys.ClientApplication);

        var s = context.Settings;
        if (s.TicketStore is { } store)
        {
            using var resumption = keys.Master.ResumptionSecret(context.TranscriptHash());
            var nonce = new byte[8];
            s.Random(nonce);
            var psk = resumption.TicketPsk(nonce);
            var ticket = store.Issue(new TicketState(keys.Suite, psk, client), s.Now, s.Random);
            CryptographicOperations.ZeroMemory(psk);
            context.Records.QueueHandshake(new NewSessionTicket((uint)store.Lifetime.TotalSeconds, nonce, ticket).Encode());
        }

        keys.HandOver();
        context.Result = new HandshakeResult
        {
            Suite = keys.Suite,
            SessionId = keys.SessionId,
            Peer = client,
            Resumed = keys.Resumed,
            Exporter = keys.Exporter,
        };
        keys.Dispose();
        return Established.Instance;
    }
}
