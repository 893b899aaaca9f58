using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace SafeWire.AspNetCore.Tests;

/// <summary>Keeps the messages of one logger category, so tests can see what the server reported.</summary>
public sealed class CapturingLoggerProvider(string category) : ILoggerProvider
{
    public ConcurrentQueue<string> Messages { get; } = new();

    public ILogger CreateLogger(string categoryName) => categoryName == category ? new Logger(Messages) : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public void Dispose()
    {
    }

    private sealed class Logger(ConcurrentQueue<string> messages) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            messages.Enqueue(formatter(state, exception));
    }
}
