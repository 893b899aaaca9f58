using System.Security.Cryptography;
using SafeWire.Identity;
using SafeWire.Protocol.KeySchedule;
using SafeWire.Protocol.Messages;

namespace SafeWire.Protocol.Handshake;

// Client: Start -> ExpectServerHello -> [full] ExpectCertificateRequestOrCertificate -> ExpectServerCertificate
//         -> ExpectServerCertificateVerify -> ExpectServerFinished -> Established
//                                           [resumed] ExpectServerFinished -> Established

/// <summary>Secrets the client carries from ServerHello to its Finished.</summary>
internal sealed class ClientKeys : IDisposable
{
    public required CipherSuite Suite { get; init; }

    public required byte[] SessionId { get; init; }

    public required HandshakeSecret Handshake { get; init; }

    public required HandshakeTrafficSecret ClientTraffic { get; init; }

    public required HandshakeTrafficSecret ServerTraffic { get; init; }

    public void Dispose()
    {
        Handshake.Dispose();
        ClientTraffic.Dispose();
        ServerTraffic.Dispose();
    }
}

internal static class ClientHandshake
{
    /// <summary>Sends the ClientHello (offering a cached ticket if there is one) and waits for the ServerHello.</summary>
    public static HandshakeState Start(HandshakeContext context)
    {
        var s = context.Settings;
        var ticket = s.TicketCache?.TryTake(s.TicketKey, s.Now);
        if (ticket is not null && !s.CipherSuites.Contains(ticket.Suite))
        {
            ticket = null;
        }

        var ephemeral = s.CreateEphemeralKey();
        var random = new byte[ProtocolConstants.RandomLength];
        s.Random(random);
        var hello = new ClientHello(
            ProtocolConstants.Version,
            random,
            [.. s.CipherSuites.Select(c => (ushort)c)],
            HandshakeCrypto.PublicPoint(ephemeral),
            s.ServerName,
            ticket?.Ticket ?? []);
        context.Send(hello.Encode());
        return new ExpectServerHello(ephemeral, ticket);
    }
}

internal sealed class ExpectServerHello(ECDiffieHellman ephemeral, ClientTicket? ticket) : HandshakeState
{
    public override string Expecting => "ServerHello";

    /// <summary>The ephemeral key and the offered ticket's PSK are needed only here.</summary>
    protected override void ReleaseSecrets()
    {
        ephemeral.Dispose();
        if (ticket is not null)
        {
            CryptographicOperations.ZeroMemory(ticket.PreSharedKey);
        }
    }

    public override HandshakeState Handle(HandshakeContext context, HandshakeType type, ReadOnlySpan<byte> body, byte[] message)
    {
        using var state = this;
        var key = ephemeral;
        if (type != HandshakeType.ServerHello)
        {
            throw Unexpected(type);
        }

        var hello = ServerHello.Read(body);
        if (hello.Version != ProtocolConstants.Version)
        {
            throw new ProtocolException(Alert.ProtocolVersion, $"The server answered with version 0x{hello.Version:x4}; this client speaks 0x{ProtocolConstants.Version:x4}.");
        }

        var suite = (CipherSuite)hello.CipherSuite;
        if (!context.Settings.CipherSuites.Contains(suite))
        {
            throw new ProtocolException(Alert.IllegalParameter, $"The server chose cipher suite 0x{hello.CipherSuite:x4}, which this client did not offer.");
        }

        if (hello.Resumed && (ticket is null || ticket.Suite != suite))
        {
            throw new ProtocolException(Alert.IllegalParameter, "The server claims to resume a session this client did not offer (or with another suite).");
        }

        var shared = HandshakeCrypto.SharedSecret(key, hello.KeyShare);
        context.AddToTranscript(message);
        var hash = context.TranscriptHash();
        using var pending = new PendingSecrets();
        ClientKeys keys;
        using (var early = EarlySecret.Create(context.Derivation, hello.Resumed ? ticket!.PreSharedKey : []))
        {
            var handshake = pending.Add(early.ToHandshakeSecret(shared));
            CryptographicOperations.ZeroMemory(shared);
            keys = pending.Add(new ClientKeys
            {
                Suite = suite,
                SessionId = hello.SessionId,
                Handshake = handshake,
                ClientTraffic = pending.Add(handshake.ClientTrafficSecret(hash)),
                ServerTraffic = pending.Add(handshake.ServerTrafficSecret(hash)),
            });
        }

        context.Records.SetSessionId(hello.SessionId);
        context.Records.ChangeReadKeys(suite, keys.ServerTraffic);
        context.Records.ChangeWriteKeys(suite, keys.ClientTraffic);
        pending.Keep();
        return hello.Resumed
            ? new ExpectServerFinished(keys, ticket!.Server, certificateRequested: false, resumed: true)
            : new ExpectCertificateRequestOrCertificate(keys);
    }
}

internal sealed class ExpectCertificateRequestOrCertificate(ClientKeys keys) : HandshakeState
{
    public override string Expecting => "CertificateRequest or Certificate";

    protected override void ReleaseSecrets() => keys.Dispose();

    public override HandshakeState Handle(HandshakeContext context, HandshakeType type, ReadOnlySpan<byte> body, byte[] message)
    {
        switch (type)
        {
            case HandshakeType.CertificateRequest:
                EmptyMessage.Read(body, "CertificateRequest");
                context.AddToTranscript(message);
                return new ExpectServerCertificate(keys, certificateRequested: true);
            case HandshakeType.Certificate:
                return new ExpectServerCertificate(keys, certificateRequested: false).Handle(context, type, body, message);
            default:
                throw Unexpected(type);
        }
    }
}

internal sealed class ExpectServerCertificate(ClientKeys keys, bool certificateRequested) : HandshakeState
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
        if (certificate.Entries.Length == 0)
        {
            throw new ProtocolException(Alert.DecodeError, "The server sent an empty Certificate.");
        }

        var s = context.Settings;
        var identity = HandshakeCrypto.VerifyPeer(certificate, s.PeerVerifier!, new PeerVerificationContext(PeerRole.Server, s.ServerName, s.Now));
        context.AddToTranscript(message);
        return new ExpectServerCertificateVerify(keys, identity, certificateRequested);
    }
}

internal sealed class ExpectServerCertificateVerify(ClientKeys keys, PeerIdentity server, bool certificateRequested) : HandshakeState
{
    public override string Expecting => "CertificateVerify";

    protected override void ReleaseSecrets() => keys.Dispose();

    public override HandshakeState Handle(HandshakeContext context, HandshakeType type, ReadOnlySpan<byte> body, byte[] message)
    {
        if (type != HandshakeType.CertificateVerify)
        {
            throw Unexpected(type);
        }

        HandshakeCrypto.CheckPeerSignature(body, server, HandshakeCrypto.ServerContext, context.TranscriptHash(),
            "The server's signature over the handshake transcript does not verify: the handshake was modified in transit, or the server does not hold its certificate's key.");

        context.AddToTranscript(message);
        return new ExpectServerFinished(keys, server, certificateRequested, resumed: false);
    }
}

internal sealed class ExpectServerFinished(ClientKeys keys, PeerIdentity server, bool certificateRequested, bool resumed) : HandshakeState
{
    public override string Expecting => "Finished";

    protected override void ReleaseSecrets() => keys.Dispose();

    public override HandshakeState Handle(HandshakeContext context, HandshakeType type, ReadOnlySpan<byte> body, byte[] message)
    {
        if (type != HandshakeType.Finished)
        {
            throw Unexpected(type);
        }

        HandshakeCrypto.CheckPeerFinished(keys.ServerTraffic.FinishedKey(), context.TranscriptHash(), body,
            "The server's Finished does not match the transcript: the handshake was modified in transit.");

        context.AddToTranscript(message);
        var serverFinishedHash = context.TranscriptHash();
        using var pending = new PendingSecrets();
        using var master = keys.Handshake.ToMasterSecret();
        var clientApp = pending.Add(master.ClientTrafficSecret(serverFinishedHash));
        var serverApp = pending.Add(master.ServerTrafficSecret(serverFinishedHash));
        var exporter = pending.Add(master.ExporterSecret(serverFinishedHash));
        context.Records.ChangeReadKeys(keys.Suite, serverApp);

        var s = context.Settings;
        if (certificateRequested)
        {
            if (s.Credential is { } credential)
            {
                context.Send(new CertificateMessage(credential.Presented.IsRawPublicKey, Entries(credential)).Encode());
                var content = HandshakeCrypto.SignedContent(HandshakeCrypto.ClientContext, context.TranscriptHash());
                context.Send(s.Sign(credential, content).Encode());
            }
            else
            {
                context.Send(new CertificateMessage(false, []).Encode());
            }
        }

        context.Send(FinishedMessage.Encode(HandshakeCrypto.FinishedMac(keys.ClientTraffic.FinishedKey(), context.TranscriptHash())));
        context.Records.ChangeWriteKeys(keys.Suite, clientApp);
        context.Result = new HandshakeResult
        {
            Suite = keys.Suite,
            SessionId = keys.SessionId,
            Peer = server,
            Resumed = resumed,
            Exporter = exporter,
            Resumption = pending.Add(master.ResumptionSecret(context.TranscriptHash())),
        };
        pending.Keep();
        keys.Dispose();
        return Established.Instance;
    }

    internal static byte[][] Entries(LocalCredential credential) => credential.Presented.IsRawPublicKey
        ? [credential.Presented.SubjectPublicKeyInfo]
        : [.. credential.Presented.CertificateChain];
}
