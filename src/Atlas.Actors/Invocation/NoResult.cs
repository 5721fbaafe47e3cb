namespace Atlas.Actors.Invocation;

/// <summary>The result type of grain methods that return <see cref="Task"/> or <see cref="ValueTask"/>.</summary>
public readonly struct NoResult
{
    public static ValueTask<NoResult> From(Task task) =>
        task.IsCompletedSuccessfully ? default : new ValueTask<NoResult>(AwaitAsync(task));

    public static ValueTask<NoResult> From(ValueTask task) =>
        task.IsCompletedSuccessfully ? default : new ValueTask<NoResult>(AwaitAsync(task.AsTask()));

    private static async Task<NoResult> AwaitAsync(Task task)
    {
        await task;
        return default;
    }
}
