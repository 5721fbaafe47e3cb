namespace Atlas.Infrastructure.Tests.Streams;

/// <summary>Awaits a condition that another component makes true in its own time (a consumer, a flush loop).</summary>
internal static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> until it holds; fails with <paramref name="what"/> and the last observation after <paramref name="timeout"/>.</summary>
    public static async Task HoldsAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null, Func<Task<string>>? describe = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                var state = describe is null ? "" : $" ({await describe()})";
                Assert.Fail($"Timed out waiting for {what}{state}.");
            }
            await Task.Delay(25);
        }
    }

    public static Task HoldsAsync(Func<bool> condition, string what, TimeSpan? timeout = null, Func<string>? describe = null) =>
        HoldsAsync(() => Task.FromResult(condition()), what, timeout, describe is null ? null : () => Task.FromResult(describe()));
}
