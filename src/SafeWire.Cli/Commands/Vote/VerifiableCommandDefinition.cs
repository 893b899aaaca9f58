using System.CommandLine;

namespace SafeWire.Cli.Commands.Vote;

/// <summary>
/// The verifiable mode's options and verbs (docs/VOTING.md, "Verifiable mode"): guardians' key ceremony, joint key,
/// publish, verify, verify-challenge, check-code; init/register/serve/cast/close dispatch here for verifiable elections.
/// </summary>
internal static class VerifiableCommandDefinition
{
    // init
    public static readonly Option<bool> Verifiable = new("--verifiable") { Description = "End-to-end verifiable election: ballots encrypted under the guardians' joint key, homomorphic tally, public record" };
    public static readonly Option<int> Guardians = new("--guardians") { Description = "Verifiable mode: number of guardians n", DefaultValueFactory = _ => 3 };
    public static readonly Option<int> Quorum = new("--quorum") { Description = "Verifiable mode: guardians needed to decrypt the tally, k", DefaultValueFactory = _ => 2 };

    // cast
    public static readonly Option<string?> JointKeyPin = new("--joint-key") { Description = "Verifiable mode: cast only if the election's joint key has this fingerprint (the one every guardian's accept printed)" };
    public static readonly Option<FileInfo?> ChallengeOut = new("--challenge") { Description = "Verifiable mode: do not cast; save the encrypted ballot opened (Benaloh challenge) to FILE" };

    // guardian
    internal static readonly Argument<string> Election = new("ELECTION") { Description = "Election name" };
    internal static readonly Option<int> Index = new("--index") { Description = "This guardian's number, 1..n", Required = true };
    internal static readonly Option<int> GuardianCount = new("--guardians") { Description = "Number of guardians n", Required = true };
    internal static readonly Option<int> GuardianQuorum = new("--quorum") { Description = "Guardians needed to decrypt, k", Required = true };
    internal static readonly Option<string?> GuardianName = new("--name") { Description = "This guardian's name (default: Guardian I)" };
    internal static readonly Option<DirectoryInfo> Keys = new("--keys") { Description = "Folder with every guardian's public key file (guardian-I.json)", Required = true };
    internal static readonly Option<DirectoryInfo> Shares = new("--shares") { Description = "Folder with the encrypted shares (share-I-to-L.json)", Required = true };
    internal static readonly Option<DirectoryInfo> OutDirectory = new("--out") { Description = "Folder to write to", Required = true };
    internal static readonly Option<DirectoryInfo> RecordIn = new("--record") { Description = "The election's record folder written by vote close", Required = true };
    internal static readonly Option<FileInfo> OutFile = new("--out") { Description = "File to write", Required = true };
    internal static readonly Option<DirectoryInfo> Partials = new("--partials") { Description = "Folder with the guardians' partial decryptions", Required = true };
    internal static readonly Option<DirectoryInfo?> PublishOut = new("--out") { Description = "Where to write the record (default: record/ in the election's folder)" };
    internal static readonly Argument<DirectoryInfo> Record = new("RECORD") { Description = "A published election record (folder)" };
    internal static readonly Option<string[]> Codes = new("--code") { Description = "A confirmation code that must be on the record (repeatable)", AllowMultipleArgumentsPerToken = true };
    internal static readonly Option<FileInfo[]> Receipts = new("--receipt") { Description = "A voter's receipt whose code must be on the record (repeatable)", AllowMultipleArgumentsPerToken = true };
    internal static readonly Argument<FileInfo> ChallengeFile = new("CHALLENGE_FILE") { Description = "A challenged ballot saved by vote cast --challenge" };
    internal static readonly Argument<string> CodeOrReceipt = new("CODE|RECEIPT_FILE") { Description = "Your confirmation code, or the receipt file vote cast saved" };

    public static IEnumerable<Command> Commands()
    {
        var guardian = new Command("guardian", "Verifiable mode: a guardian's part of the key ceremony and of the decryption (each guardian in its own home)");

        var create = new Command("create", "Make this guardian's secret polynomial and write its public key (commitments with proofs) to --out") { Election, Index, GuardianCount, GuardianQuorum, GuardianName, OutDirectory };
        create.SetAction((parse, ct) => VoteCli.RunAsync(parse, "guardian create", home => VerifiableCommands.GuardianCreate(home,
            parse.GetRequiredValue(Election), parse.GetValue(Index), parse.GetValue(GuardianCount), parse.GetValue(GuardianQuorum), parse.GetValue(GuardianName), parse.GetRequiredValue(OutDirectory).FullName)));

        var share = new Command("share", "Check every guardian's public key, then write this guardian's share for each other guardian, encrypted to it") { Election, Keys, OutDirectory };
        share.SetAction((parse, ct) => VoteCli.RunAsync(parse, "guardian share", home => VerifiableCommands.GuardianShare(home,
            parse.GetRequiredValue(Election), parse.GetRequiredValue(Keys).FullName, parse.GetRequiredValue(OutDirectory).FullName)));

        var accept = new Command("accept", "Open the shares sent to this guardian, check each against its sender's commitments, keep the key share") { Election, Keys, Shares };
        accept.SetAction((parse, ct) => VoteCli.RunAsync(parse, "guardian accept", home => VerifiableCommands.GuardianAccept(home,
            parse.GetRequiredValue(Election), parse.GetRequiredValue(Keys).FullName, parse.GetRequiredValue(Shares).FullName)));

        var decrypt = new Command("decrypt", "Recompute the tally from the recorded ballots and write this guardian's partial decryption with proofs") { Election, RecordIn, OutFile };
        decrypt.SetAction((parse, ct) => VoteCli.RunAsync(parse, "guardian decrypt", home => VerifiableCommands.GuardianDecrypt(home,
            parse.GetRequiredValue(Election), parse.GetRequiredValue(RecordIn).FullName, parse.GetRequiredValue(OutFile).FullName)));

        foreach (var command in new[] { create, share, accept, decrypt })
        {
            guardian.Subcommands.Add(command);
        }

        var jointKey = new Command("joint-key", "Verifiable mode: check the guardians' public keys and fix the election's joint key") { Election, Keys };
        jointKey.SetAction((parse, ct) => VoteCli.RunAsync(parse, "joint-key", home => VerifiableCommands.JointKey(home, parse.GetRequiredValue(Election), parse.GetRequiredValue(Keys).FullName)));

        var publish = new Command("publish", "Verifiable mode: combine the guardians' partial decryptions and write the election record") { Election, Partials, PublishOut };
        publish.SetAction((parse, ct) => VoteCli.RunAsync(parse, "publish", home => VerifiableCommands.Publish(home,
            parse.GetRequiredValue(Election), parse.GetRequiredValue(Partials).FullName, parse.GetValue(PublishOut)?.FullName)));

        var verify = new Command("verify", "Check every proof of an election record, recompute the tally, name the first failing item") { Record, Codes, Receipts };
        verify.SetAction((parse, ct) => VoteCli.RunAsync(parse, "verify", _ => VerifiableCommands.Verify(
            parse.GetRequiredValue(Record).FullName, parse.GetValue(Codes) ?? [], [.. (parse.GetValue(Receipts) ?? []).Select(f => f.FullName)])));

        var verifyChallenge = new Command("verify-challenge", "Check that a challenged ballot decrypts to what was typed (Benaloh challenge)") { ChallengeFile };
        verifyChallenge.SetAction((parse, ct) => VoteCli.RunAsync(parse, "verify-challenge", _ => VerifiableCommands.VerifyChallenge(parse.GetRequiredValue(ChallengeFile).FullName)));

        var checkCode = new Command("check-code", "Check that your confirmation code is on a published record") { Record, CodeOrReceipt };
        checkCode.SetAction((parse, ct) => VoteCli.RunAsync(parse, "check-code", _ => VerifiableCommands.CheckCode(parse.GetRequiredValue(Record).FullName, parse.GetRequiredValue(CodeOrReceipt))));

        return [guardian, jointKey, publish, verify, verifyChallenge, checkCode];
    }
}
