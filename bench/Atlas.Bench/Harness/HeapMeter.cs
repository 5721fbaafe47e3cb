namespace Atlas.Bench.Harness;

/// <summary>Live managed heap after full collections: the before/after readings of memory scenarios.</summary>
public static class HeapMeter
{
    public static long Settle()
    {
        for (var i = 0; i < 2; i++)
        {
            GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
