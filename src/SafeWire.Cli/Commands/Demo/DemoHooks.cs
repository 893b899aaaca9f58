namespace SafeWire.Cli.Commands.Demo;

/// <summary>Where tests step into <c>safewire demo</c> (the CLI sets none): they hold a join back on the server side.</summary>
internal sealed class DemoHooks
{
    /// <summary>Given to the demo's server: awaited with a client's name after its welcome is sent and before the server counts it as joined.</summary>
    public Func<string, CancellationToken, Task>? BeforeServerJoin { get; init; }

    /// <summary>Called when the demo, both clients welcomed, starts waiting for the server to announce both joins.</summary>
    public Action? WaitingForJoins { get; init; }
}
