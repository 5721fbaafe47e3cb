using Atlas.Infrastructure;
using Atlas.Infrastructure.Postgres;
using Orleans.Storage;

namespace Atlas.Hosting.Storage;

/// <summary>
/// Says which store failed when a grain call fails because grain storage could not serve it. Orleans wraps what a
/// storage provider throws in a plain <see cref="OrleansException"/> ("Error from storage provider AdoNetGrainStorage…",
/// the driver's exception inside); the caller gets instead a <see cref="StorageUnavailableException"/> that names the
/// store — "PostgreSQL is unavailable: …" for Orleans' ADO.NET storage on Npgsql, or the one Atlas' own providers
/// threw (SQLite). A refused write (<see cref="InconsistentStateException"/>) and every other failure pass unchanged.
/// </summary>
/// <remarks>
/// It sees grain calls only: a grain whose activation cannot read its state fails the call with Orleans' own message
/// (which carries the driver's exception).
/// </remarks>
internal sealed class StorageFailureFilter : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        try
        {
            await context.Invoke();
        }
        catch (OrleansException exception) when (exception.GetType() == typeof(OrleansException) && Unavailable(exception, context) is { } unavailable)
        {
            throw unavailable;
        }
    }

    private static StorageUnavailableException? Unavailable(OrleansException wrapper, IIncomingGrainCallContext context)
    {
        for (var cause = wrapper.InnerException; cause is not null; cause = cause.InnerException)
        {
            switch (cause)
            {
                case StorageUnavailableException own:
                    return own;
                case Npgsql.NpgsqlException when PostgresFailures.IsUnavailable(cause):
                    return new StorageUnavailableException(
                        $"PostgreSQL is unavailable: the state of grain {context.TargetId} could not be read or written ({cause.Message.ReplaceLineEndings(" ")}). " +
                        "Retry when PostgreSQL is back.",
                        cause);
            }
        }
        return null;
    }
}
