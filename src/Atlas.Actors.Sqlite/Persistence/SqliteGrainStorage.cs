using System.Globalization;
using Atlas.Actors.Persistence;
using Atlas.Actors.Serialization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Atlas.Actors.Sqlite;

/// <summary>
/// Grain storage in a SQLite file: one row per (grain, state) in <c>atlas_grain_state</c>, holding the state's JSON
/// and its integer version. Every write is one transaction fenced by the version, so concurrent writers cannot both
/// succeed and a crash leaves nothing half-written.
/// </summary>
public sealed class SqliteGrainStorage : IGrainStorage
{
    private const string ReadSql =
        "select version, payload from atlas_grain_state where grain_type = $type and grain_key = $key and state_name = $state";

    private const string ReadVersionSql =
        "select version from atlas_grain_state where grain_type = $type and grain_key = $key and state_name = $state";

    private const string InsertSql =
        """
        insert into atlas_grain_state (grain_type, grain_key, state_name, version, payload, modified_at)
        values ($type, $key, $state, 1, $payload, $now)
        on conflict (grain_type, grain_key, state_name) do nothing
        """;

    private const string UpdateSql =
        """
        update atlas_grain_state set version = version + 1, payload = $payload, modified_at = $now
        where grain_type = $type and grain_key = $key and state_name = $state and version = $expected
        """;

    private readonly SqliteDatabase _database;
    private readonly GrainStateSerializer _serializer;
    private readonly ILogger _logger;
    private readonly string _provider;

    /// <param name="name">The storage's name (for errors and logs).</param>
    /// <param name="database">The file; the caller owns it. The schema is created on first use.</param>
    /// <param name="serializer">How states become JSON (the silo's <see cref="GrainStateSerializer"/>).</param>
    /// <param name="logger">Where failures are logged.</param>
    public SqliteGrainStorage(string name, SqliteDatabase database, GrainStateSerializer serializer, ILogger<SqliteGrainStorage>? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        _database = database ?? throw new ArgumentNullException(nameof(database));
        _serializer = serializer ?? throw new ArgumentNullException(nameof(serializer));
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _provider = $"SQLite grain storage '{name}'";
    }

    public Task ReadStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default) =>
        RunAsync(token => _database.ReadAsync(async (connection, ct) =>
        {
            await using var command = Command(connection, null, ReadSql, stateName, grainId);
            await using var reader = await command.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct))
            {
                grainState.ETag = null;
                grainState.RecordExists = false;
                return 0;
            }
            var version = checked((int)reader.GetInt64(0));
            var payload = reader.IsDBNull(1) ? null : (byte[])reader.GetValue(1);
            // Deserialize before touching grainState, so that a payload that cannot be read leaves it as it was.
            if (payload is not null)
            {
                grainState.State = _serializer.Deserialize<TState>(payload);
            }
            grainState.ETag = GrainStateVersion.Format(version);
            grainState.RecordExists = payload is not null;
            return version;
        }, token), $"reading state '{stateName}' of {grainId}", cancellationToken);

    public async Task WriteStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default)
    {
        var payload = _serializer.Serialize(grainState.State);
        var version = await SwapAsync(stateName, grainId, grainState.ETag, payload, cancellationToken);
        grainState.ETag = GrainStateVersion.Format(version);
        grainState.RecordExists = true;
    }

    /// <summary>Removes the payload but keeps the row with a bumped version, so a writer holding the old ETag still fails.</summary>
    public async Task ClearStateAsync<TState>(string stateName, GrainId grainId, IGrainState<TState> grainState, CancellationToken cancellationToken = default)
    {
        var version = await SwapAsync(stateName, grainId, grainState.ETag, payload: null, cancellationToken);
        grainState.ETag = GrainStateVersion.Format(version);
        grainState.RecordExists = false;
    }

    /// <summary>Stores <paramref name="payload"/> if the stored version is the one <paramref name="etag"/> names; returns the new version.</summary>
    private Task<int> SwapAsync(string stateName, GrainId grainId, string? etag, byte[]? payload, CancellationToken cancellationToken)
    {
        var expected = GrainStateVersion.Parse(etag);
        return RunAsync(token => _database.WriteAsync(async (connection, transaction, ct) =>
        {
            int changed;
            await using (var command = Command(connection, transaction, expected == 0 ? InsertSql : UpdateSql, stateName, grainId))
            {
                command.Parameters.Add("$payload", SqliteType.Blob).Value = (object?)payload ?? DBNull.Value;
                command.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
                if (expected != 0)
                {
                    command.Parameters.AddWithValue("$expected", expected);
                }
                changed = await command.ExecuteNonQueryAsync(ct);
            }
            if (changed == 1)
            {
                return expected + 1;
            }
            // Lost: report what is stored now (read in the same transaction, so it is what the write was compared with).
            await using var read = Command(connection, transaction, ReadVersionSql, stateName, grainId);
            var stored = await read.ExecuteScalarAsync(ct) is long version ? checked((int)version) : 0;
            throw GrainStateVersion.Mismatch(stateName, grainId, stored, etag);
        }, token), $"{(payload is null ? "clearing" : "writing")} state '{stateName}' of {grainId}", cancellationToken);
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, string stateName, GrainId grainId)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.Parameters.AddWithValue("$type", grainId.Type);
        command.Parameters.AddWithValue("$key", grainId.Key);
        command.Parameters.AddWithValue("$state", stateName);
        return command;
    }

    private Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> operation, string action, CancellationToken cancellationToken) =>
        SqliteFailures.RunAsync(async token =>
            {
                await _database.EnsureSchemaAsync(SqliteMigrations.Actors, token);
                return await operation(token);
            },
            _provider, action, (message, cause) => new GrainStorageUnavailableException(message, _provider, cause), _logger, cancellationToken);
}
