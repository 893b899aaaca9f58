using System.Globalization;
using System.Text;
using System.Text.Json;
using SafeWire.Voting.Storage;

namespace SafeWire.Voting;

/// <summary>Results as JSON or CSV (invariant culture, one row per candidate).</summary>
public static class TallyExport
{
    /// <summary>The tally as indented JSON: the election, the ballot count and each candidate's results.</summary>
    public static string ToJson(Tally tally)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("election", tally.Election);
            json.WriteNumber("ballots", tally.Ballots);
            json.WriteNumber("maxScore", tally.MaxScore);
            json.WriteStartArray("candidates");
            foreach (var c in tally.Candidates)
            {
                json.WriteStartObject();
                json.WriteNumber("index", c.Index);
                json.WriteString("name", c.Name);
                json.WriteNumber("scores", c.Scores);
                json.WriteNumber("sum", c.Sum);
                if (c.Mean is { } mean)
                {
                    json.WriteNumber("mean", Math.Round(mean, 4));
                }
                else
                {
                    json.WriteNull("mean");
                }

                json.WriteNumber("noScore", c.NoScore);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>The tally as CSV with a header row: candidate, name, scores, sum, mean, no_score.</summary>
    public static string ToCsv(Tally tally)
    {
        var csv = new StringBuilder("candidate,name,scores,sum,mean,no_score\n");
        foreach (var c in tally.Candidates)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{c.Index},{Quote(c.Name)},{c.Scores},{c.Sum},{(c.Mean is { } m ? m.ToString("0.####", CultureInfo.InvariantCulture) : "")},{c.NoScore}\n");
        }

        return csv.ToString();
    }

    private static string Quote(string value) =>
        value.IndexOfAny([',', '"', '\n', '\r']) < 0 ? value : "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
