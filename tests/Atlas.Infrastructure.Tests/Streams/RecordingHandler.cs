using System.Collections.Concurrent;
using Atlas.Infrastructure.Streams;

namespace Atlas.Infrastructure.Tests.Streams;

/// <summary>
/// A handler of entries with one field <c>body</c>: records every batch it is given and what it handled, and fails
/// when told to (per entry, or for a number of calls, transiently or not).
/// </summary>
internal sealed class RecordingHandler : IStreamBatchHandler<string>
{
    private readonly ConcurrentQueue<IReadOnlyList<StreamMessage<string>>> _batches = new();
    private readonly ConcurrentDictionary<string, byte> _handled = new();
    private int _transientFailuresLeft;

    /// <summary>Bodies this handler refuses (not transiently) whenever they are in a batch.</summary>
    public HashSet<string> Refuse { get; } = [];

    public IReadOnlyList<IReadOnlyList<StreamMessage<string>>> Batches => _batches.ToArray();

    /// <summary>Bodies of batches that succeeded (each once).</summary>
    public IReadOnlyCollection<string> Handled => _handled.Keys.ToArray();

    /// <summary>Runs before each batch; may block or throw (e.g. to simulate a crash mid-batch).</summary>
    public Func<IReadOnlyList<StreamMessage<string>>, CancellationToken, Task>? Before { get; set; }

    public void FailTransiently(int calls) => Interlocked.Exchange(ref _transientFailuresLeft, calls);

    public static StreamEntry Entry(string body) => new("s", "0-1", [new("body", body)]);

    public string Parse(StreamEntry entry) => entry["body"] ?? throw new StreamEntryFormatException("the entry has no 'body' field");

    public async Task HandleAsync(IReadOnlyList<StreamMessage<string>> batch, CancellationToken cancellationToken)
    {
        _batches.Enqueue(batch);
        if (Before is { } before)
        {
            await before(batch, cancellationToken);
        }
        if (Interlocked.Decrement(ref _transientFailuresLeft) >= 0)
        {
            throw new TimeoutException("the store is unavailable (test)");
        }
        var refused = batch.FirstOrDefault(m => Refuse.Contains(m.Value));
        if (refused is not null)
        {
            throw new InvalidDataException($"'{refused.Value}' is refused (test)");
        }
        foreach (var message in batch)
        {
            _handled.TryAdd(message.Value, 0);
        }
    }

    public bool IsTransient(Exception exception) => exception is TimeoutException;
}
