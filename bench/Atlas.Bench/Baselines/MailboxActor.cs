using System.Threading.Channels;

namespace Atlas.Bench.Baselines;

/// <summary>
/// The smallest honest actor: a <see cref="Channel{T}"/> mailbox drained by one reader loop, so messages run one at
/// a time, each answered through its own <see cref="TaskCompletionSource{TResult}"/>. No identity, placement,
/// lifecycle, isolation, timeouts or metrics: what Atlas's local calls are compared against.
/// </summary>
public sealed class MailboxActor
{
    private readonly Channel<TaskCompletionSource<int>> _mailbox =
        Channel.CreateUnbounded<TaskCompletionSource<int>>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _reader;
    private int _count;

    public MailboxActor()
    {
        _reader = ReadLoopAsync();
    }

    /// <summary>The same work as the benchmark grain: increment a counter and answer with it.</summary>
    public Task<int> Increment()
    {
        var reply = new TaskCompletionSource<int>();
        if (!_mailbox.Writer.TryWrite(reply))
        {
            reply.SetException(new InvalidOperationException("The actor is stopped."));
        }
        return reply.Task;
    }

    /// <summary>Ends the reader loop once the mailbox is empty.</summary>
    public Task StopAsync()
    {
        _mailbox.Writer.TryComplete();
        return _reader;
    }

    private async Task ReadLoopAsync()
    {
        var reader = _mailbox.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var reply))
            {
                reply.SetResult(++_count);
            }
        }
    }
}
