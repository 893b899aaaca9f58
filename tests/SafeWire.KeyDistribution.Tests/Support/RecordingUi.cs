using System.Collections.Concurrent;
using SafeWire.KeyDistribution.Peer;

namespace SafeWire.KeyDistribution.Tests.Support;

/// <summary>A peer UI that records what it was told and decides offers by a rule.</summary>
internal sealed class RecordingUi(Func<FileOffer, string?> decide) : IPeerUi
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public ConcurrentQueue<FileOffer> Offers { get; } = new();

    public string Text => string.Join("\n", Lines);

    public void Info(string message) => Lines.Enqueue("info: " + message);

    public void Warn(string message) => Lines.Enqueue("warn: " + message);

    public ITransferProgress StartProgress(string fileName, long totalBytes, bool sending) => new Progress();

    public ValueTask<string?> DecideAsync(FileOffer offer, CancellationToken cancellationToken)
    {
        Offers.Enqueue(offer);
        return ValueTask.FromResult(decide(offer));
    }

    private sealed class Progress : ITransferProgress
    {
        public void Advance(long bytes)
        {
        }

        public void Complete(bool succeeded)
        {
        }

        public void Dispose()
        {
        }
    }
}
