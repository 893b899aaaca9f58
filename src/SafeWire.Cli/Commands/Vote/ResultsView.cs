using System.Globalization;
using SafeWire.Voting.Storage;
using Spectre.Console;

namespace SafeWire.Cli.Commands.Vote;

/// <summary>Results in the terminal: a bar chart of mean scores and a table with every number.</summary>
internal static class ResultsView
{
    public static void Render(IAnsiConsole console, Tally tally)
    {
        console.MarkupLine($"[bold]Election {Markup.Escape(tally.Election)}[/]: {tally.Ballots} ballot{(tally.Ballots == 1 ? "" : "s")} counted, scores 0-{tally.MaxScore}");
        var chart = new BarChart().Label("Mean score").WithMaxValue(tally.MaxScore).Width(60);
        var colors = new[] { Color.Green, Color.Blue, Color.Yellow, Color.Aqua, Color.Fuchsia, Color.Orange1 };
        foreach (var c in tally.Candidates)
        {
            chart.AddItem(c.Name, Math.Round(c.Mean ?? 0, 2), colors[(c.Index - 1) % colors.Length]);
        }

        console.Write(chart);
        var table = new Table().AddColumns("#", "candidate", "scores", "sum", "mean", "*");
        foreach (var c in tally.Candidates)
        {
            table.AddRow(
                c.Index.ToString(CultureInfo.InvariantCulture),
                Markup.Escape(c.Name),
                c.Scores.ToString(CultureInfo.InvariantCulture),
                c.Sum.ToString(CultureInfo.InvariantCulture),
                c.Mean is { } mean ? mean.ToString("0.00", CultureInfo.InvariantCulture) : "-",
                c.NoScore.ToString(CultureInfo.InvariantCulture));
        }

        console.Write(table);
    }
}
