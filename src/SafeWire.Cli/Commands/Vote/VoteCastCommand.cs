using System.CommandLine;
using SafeWire.Identity;
using SafeWire.Voting;

namespace SafeWire.Cli.Commands.Vote;

/// <summary><c>vote cast HOST:PORT --credential FILE [--ballot B] [--id ID]</c>: the voter's client (seed V.2-V.5).</summary>
internal static class VoteCastCommand
{
    public static async Task<int> RunAsync(ParseResult parse, SafeWireHome home, CancellationToken cancellationToken)
    {
        var target = parse.GetRequiredValue(VoteCommandDefinition.Server);
        var (host, port) = HostPort.TryParse(target, defaultPort: null, out var endpoint) ? endpoint : throw new VotingException($"Expected HOST:PORT, got \"{target}\".");
        var credentialPath = parse.GetRequiredValue(VoteCommandDefinition.Credential).FullName;
        var credential = VoterCredential.Load(credentialPath);
        var voterId = parse.GetValue(VoteCommandDefinition.VoterId) ?? credential.VoterId;
        Identifiers.EnsureValid(voterId, "voter ID");
        var firstBallot = parse.GetValue(VoteCommandDefinition.BallotText);
        var receiptPath = parse.GetValue(VoteCommandDefinition.ReceiptOut)?.FullName ?? Path.ChangeExtension(credentialPath, ".receipt");

        var verifier = VoteTransport.ServerVerifier(credential.CaCertificate, home);
        await using var stream = await VoteTransport.ConnectAsync(
            host,
            port,
            verifier,
            parse.GetValue(VoteCommandDefinition.ServerName) ?? host,
            VoteTransport.BusyAttempts,
            (busy, wait) => Console.Error.WriteLine($"{busy.Message} Retrying in {wait.TotalSeconds:0.0} s."),
            cancellationToken);
        Console.WriteLine($"connected to {target} ({stream.RemoteIdentity?.Name}, {stream.CipherSuite}); voter {voterId}, election {credential.Election}");

        var result = await VoteClient.CastAsync(stream, credential, voterId, async (no, ct) =>
        {
            if (no is null && firstBallot is not null)
            {
                return firstBallot;
            }

            if (no is not null)
            {
                Console.WriteLine($"no: {no.Reason}");
                Console.WriteLine("enter a corrected ballot (empty line or end of input to give up):");
            }
            else
            {
                Console.WriteLine("enter your ballot (one score or * per candidate, e.g. 45432*3):");
            }

            var line = await Console.In.ReadLineAsync(ct);
            return string.IsNullOrWhiteSpace(line) ? null : line.Trim();
        }, cancellationToken);

        if (result.Receipt is { } receipt)
        {
            ReceiptFile.From(receipt, credential, voterId, target).Save(receiptPath);
            Console.WriteLine($"yes: ballot counted in election {receipt.Election} (board entry #{receipt.Sequence})");
            if (result.SameAsEarlierBallot)
            {
                Console.WriteLine("(this exact ballot was already counted for you: the receipt is the earlier one)");
            }

            Console.WriteLine($"receipt saved to {receiptPath}; check it any time with: safewire vote verify-receipt {receiptPath}");
            return 0;
        }

        await Console.Error.WriteLineAsync($"no: {result.Reason}{(result.Refusal?.AllowsRetry() == true ? " (no corrected ballot given)" : "")}");
        return VoteCli.ExitRefused;
    }
}
