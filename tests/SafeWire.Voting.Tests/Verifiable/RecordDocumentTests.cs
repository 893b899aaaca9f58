using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SafeWire.Voting.Verifiable;

namespace SafeWire.Voting.Tests.Verifiable;

/// <summary>Keeps docs/VOTING-RECORD.md in step with the record the code writes.</summary>
public sealed partial class RecordDocumentTests : IClassFixture<InProcessElection>
{
    private readonly InProcessElection _election;

    public RecordDocumentTests(InProcessElection election)
    {
        _election = election;
    }

    private static string Document => File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "VOTING-RECORD.md"));

    [Fact]
    public void Every_field_the_document_shows_is_one_the_record_has_and_every_record_field_is_documented()
    {
        var documented = JsonBlocks().Matches(Document).SelectMany(block => FieldName().Matches(block.Groups[1].Value).Select(m => m.Groups[1].Value)).ToHashSet();
        var written = new HashSet<string>();
        foreach (var file in Directory.GetFiles(_election.RecordPath, "*.json"))
        {
            Collect(JsonNode.Parse(File.ReadAllText(file)), written);
        }

        Assert.Empty(documented.Except(written));
        Assert.Empty(written.Except(documented));
        Assert.Equal(
            [ElectionRecord.BallotsFile, ElectionRecord.ElectionFile, ElectionRecord.GuardiansFile, ElectionRecord.TallyFile, ElectionRecord.VotersFile],
            Directory.GetFiles(_election.RecordPath).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var file in Directory.GetFiles(_election.RecordPath))
        {
            Assert.Contains("### " + Path.GetFileName(file), Document, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_documented_values_are_the_ones_the_code_computes()
    {
        Assert.Contains($"`H_P` = `{Convert.ToHexString(BaseHashes.Parameters(ElectionGroup.Standard))}`", Document.Replace("\n", " ", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains($"\"format\": \"{VerifiableFormats.Election}\"", Document, StringComparison.Ordinal);
        Assert.Contains($"\"format\": \"{VerifiableFormats.GuardianKey}\"", Document, StringComparison.Ordinal);
        Assert.Contains($"\"format\": \"{VerifiableFormats.Tally}\"", Document, StringComparison.Ordinal);
        Assert.Contains($"\"format\": \"{VerifiableFormats.Partial}\"", Document, StringComparison.Ordinal);
        Assert.Contains($"text \"{BallotEncryption.SignaturePrefix}\"", Document, StringComparison.Ordinal);
        Assert.Contains($"`{BaseHashes.Version}`", Document, StringComparison.Ordinal);

        var example = ExampleResult().Match(Document).Groups[1].Value;
        var documented = JsonNode.Parse(example)!.AsArray().Select(n => (n!["candidate"]!.GetValue<int>(), n["name"]!.GetValue<string>(), n["sum"]!.GetValue<long>(), n["noScore"]!.GetValue<long>()));
        var computed = _election.Tally.Result!.Select(r => (r.Candidate, r.Name, r.Sum, r.NoScore));
        Assert.Equal(computed, documented);
        Assert.Equal(["21", "0*", "12", "*2"], InProcessElection.Typed);
        Assert.Contains("4 ballots `21`, `0*`, `12`, `*2`", Document.Replace("\n", " ", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    private static void Collect(JsonNode? node, HashSet<string> names)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (name, value) in o)
                {
                    names.Add(name);
                    Collect(value, names);
                }

                break;
            case JsonArray a:
                foreach (var item in a)
                {
                    Collect(item, names);
                }

                break;
        }
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "docs", "VOTING-RECORD.md")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("docs/VOTING-RECORD.md not found above the test binaries.");
    }

    [GeneratedRegex("```json\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex JsonBlocks();

    [GeneratedRegex("\"(\\w+)\"\\s*:")]
    private static partial Regex FieldName();

    [GeneratedRegex("<!-- example-result -->\\s*```json\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex ExampleResult();
}
