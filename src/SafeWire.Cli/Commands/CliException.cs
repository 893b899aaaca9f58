namespace SafeWire.Cli.Commands;

/// <summary>A user-facing failure whose message is printed as is: <c>safewire: MESSAGE</c>, exit code 1.</summary>
internal sealed class CliException(string message) : Exception(message);
