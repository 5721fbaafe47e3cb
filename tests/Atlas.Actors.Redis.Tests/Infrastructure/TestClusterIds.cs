namespace Atlas.Actors.Redis.Tests.Infrastructure;

internal static class TestClusterIds
{
    /// <summary>A cluster id no other test uses, so that tests can run in parallel on one Redis.</summary>
    public static string New(string purpose) => $"test-{purpose}-{Guid.NewGuid():N}";
}
