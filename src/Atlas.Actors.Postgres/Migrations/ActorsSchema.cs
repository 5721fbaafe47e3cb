using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Atlas.Actors.Postgres;

/// <summary>
/// Makes sure the Atlas.Actors schema exists before a provider first uses a data source: once per data source,
/// shared by every provider on it, and tried again on the next call if it failed (e.g. the database was down).
/// </summary>
internal static class ActorsSchema
{
    private static readonly ConditionalWeakTable<NpgsqlDataSource, Gate> Gates = new();

    public static Task EnsureAsync(NpgsqlDataSource dataSource, ILogger logger, CancellationToken cancellationToken) =>
        Gates.GetValue(dataSource, static _ => new Gate()).EnsureAsync(dataSource, logger, cancellationToken);

    private sealed class Gate
    {
        private Task? _applying;

        public Task EnsureAsync(NpgsqlDataSource dataSource, ILogger logger, CancellationToken cancellationToken)
        {
            var applying = Volatile.Read(ref _applying);
            if (applying is { IsCompletedSuccessfully: true })
            {
                return Task.CompletedTask;
            }
            lock (this)
            {
                if (_applying is null || _applying.IsFaulted || _applying.IsCanceled)
                {
                    // Not the caller's token: one caller giving up must not fail the others waiting on the same run.
                    _applying = PostgresMigrations.ApplyAsync(dataSource, PostgresMigrations.Actors, logger, CancellationToken.None);
                }
                applying = _applying;
            }
            return applying.WaitAsync(cancellationToken);
        }
    }
}
