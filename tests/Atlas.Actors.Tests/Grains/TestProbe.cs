using System.Collections.Concurrent;

namespace Atlas.Actors.Tests.Grains;

/// <summary>Shared by every silo of a test cluster: grains record what happened, tests await it.</summary>
public sealed class TestProbe
{
    private readonly ConcurrentQueue<string> _events = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _gates = new();

    /// <summary>A gate grains can wait at until the test opens it.</summary>
    public Task Gate(string name) => _gates.GetOrAdd(name, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void Open(string name) => _gates.GetOrAdd(name, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    public void Record(string text) => _events.Enqueue(text);

    public IReadOnlyList<string> Events => _events.ToArray();

    public int Count(string text) => _events.Count(e => e == text);

    /// <summary>Waits until <paramref name="condition"/> holds on the recorded events.</summary>
    public async Task WaitForAsync(Func<IReadOnlyList<string>, bool> condition, TimeSpan? timeout = null, string? what = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!condition(Events))
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out waiting for {what ?? "a condition"}; events: {string.Join(" | ", Events.TakeLast(20))}");
            }
            await Task.Delay(10);
        }
    }
}
