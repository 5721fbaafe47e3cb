using System.Globalization;
using Atlas.Infrastructure;
using Atlas.Infrastructure.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Serialization.Serializers;
using Orleans.Storage;

namespace Atlas.Hosting.Storage.Sqlite;

/// <summary>
/// Orleans grain storage in a SQLite file: one row per grain and state name in <c>orleans_grain_state</c>, holding the
/// payload the silo's <see cref="IGrainStorageSerializer"/> made and an integer version that is the ETag.
/// </summary>
/// <remarks>
/// <para>Every write is one transaction fenced by the version: a write without an ETag inserts only if no row exists;
/// a write with an ETag updates only that version and bumps it; anything else throws
/// <see cref="InconsistentStateException"/> with the stored and the grain's ETag, and changes nothing.</para>
/// <para>Clearing behaves as Orleans' ADO.NET storage with its default <c>DeleteStateOnClear = false</c>: the payload
/// is set to null and the version bumped, and the grain keeps the new version as its ETag, so its next write continues
/// from there, while every writer holding an ETag from before the clear is refused. (Deleting the row, as the memory
/// storage does, would restart versions at 1 and let an old ETag match again.) A read of a cleared row finds no record
/// but that ETag. Clearing a state never written (no ETag, no row) writes nothing.</para>
/// <para>A file that cannot serve a call (locked by another process beyond the busy timeout, unreadable, disk full)
/// fails with <see cref="StorageUnavailableException"/> naming the file; nothing was written.</para>
/// </remarks>
public sealed class SqliteGrainStorage : IGrainStorage, ILifecycleParticipant<ISiloLifecycle>
{
    private const string ReadSql =
        "select version, payload from orleans_grain_state where grain_type = $type and grain_key = $key and state_name = $state";

    private const string ReadVersionSql =
        "select version from orleans_grain_state where grain_type = $type and grain_key = $key and state_name = $state";

    private const string InsertSql =
        """
        insert into orleans_grain_state (grain_type, grain_key, state_name, version, payload, modified_at)
        values ($type, $key, $state, 1, $payload, $now)
        on conflict (grain_type, grain_key, state_name) do nothing
        """;

    private const string UpdateSql =
        """
        update orleans_grain_state set version = version + 1, payload = $payload, modified_at = $now
        where grain_type = $type and grain_key = $key and state_name = $state and version = $expected
        """;

    private readonly string _name;
    private readonly SqliteDatabase _database;
    private readonly IGrainStorageSerializer _serializer;
    private readonly IActivatorProvider _activators;
    private readonly ILogger _logger;
    private readonly string _provider;

    /// <param name="name">The storage's name (<c>[PersistentState("state", name)]</c>), for errors and logs.</param>
    /// <param name="database">The file; its owner disposes it. The schema is applied when the silo starts or on first use.</param>
    /// <param name="serializer">How states become bytes: the silo's <see cref="IGrainStorageSerializer"/>.</param>
    /// <param name="activators">Creates the empty state a read of no record or a clear leaves, as Orleans' own storages do.</param>
    /// <param name="logger">Where failures are logged.</param>
    public SqliteGrainStorage(
        string name,
        SqliteDatabase database,
        IGrainStorageSerializer serializer,
        IActivatorProvider activators,
        ILogger<SqliteGrainStorage>? logger = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        _name = name;
        _database = database ?? throw new ArgumentNullException(nameof(database));
        _serializer = serializer ?? throw new ArgumentNullException(nameof(serializer));
        _activators = activators ?? throw new ArgumentNullException(nameof(activators));
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _provider = $"SQLite grain storage '{name}' ({database.Path})";
    }

    /// <summary>Applies the schema when the silo starts, so that a file that cannot be opened fails start-up, naming it.</summary>
    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe($"{nameof(SqliteGrainStorage)}-{_name}", ServiceLifecycleStage.ApplicationServices, StartAsync);

    /// <summary>Applies the schema (idempotent); warns if the file still holds the retired runtime's grain state.</summary>
    public Task StartAsync(CancellationToken cancellationToken = default) =>
        RunAsync(async token =>
        {
            if (await SqliteStorageSchema.HasRetiredTablesAsync(_database, token))
            {
                SqliteStorageLog.RetiredTablesIgnored(_logger, _database.Path);
            }
            return true;
        }, "creating the schema", cancellationToken);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ReadStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        return RunAsync(token => _database.ReadAsync(async (connection, ct) =>
        {
            long? version = null;
            byte[]? payload = null;
            await using (var command = Command(connection, null, ReadSql, stateName, grainId))
            await using (var reader = await command.ExecuteReaderAsync(ct))
            {
                if (await reader.ReadAsync(ct))
                {
                    version = reader.GetInt64(0);
                    payload = reader.IsDBNull(1) ? null : (byte[])reader.GetValue(1);
                }
            }
            // Deserialize before touching grainState, so that a payload that cannot be read leaves it as it was.
            var state = payload is null ? Empty<T>() : _serializer.Deserialize<T>(new BinaryData(payload));
            grainState.State = state;
            grainState.ETag = version is { } v ? FormatETag(v) : null;
            grainState.RecordExists = payload is not null;
            return true;
        }, token), $"reading state '{stateName}' of {grainId}", cancellationToken);
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        WriteStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var payload = _serializer.Serialize(grainState.State).ToArray();
        var version = await RunAsync(
            token => _database.WriteAsync((connection, transaction, ct) => SwapAsync(connection, transaction, stateName, grainId, grainState.ETag, payload, ct), token),
            $"writing state '{stateName}' of {grainId}", cancellationToken);
        grainState.ETag = FormatETag(version);
        grainState.RecordExists = true;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        ClearStateAsync(stateName, grainId, grainState, CancellationToken.None);

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        var etag = grainState.ETag;
        var version = await RunAsync(token => _database.WriteAsync(async (connection, transaction, ct) =>
        {
            if (etag is null)
            {
                // The grain saw no row: nothing to clear if there is none, a conflict if another activation wrote one since.
                var stored = await StoredVersionAsync(connection, transaction, stateName, grainId, ct);
                return stored is null ? (long?)null : throw Conflict("clearing", stateName, grainId, stored, etag);
            }
            return await SwapAsync(connection, transaction, stateName, grainId, etag, payload: null, ct);
        }, token), $"clearing state '{stateName}' of {grainId}", cancellationToken);
        grainState.State = Empty<T>();
        grainState.ETag = version is { } v ? FormatETag(v) : null;
        grainState.RecordExists = false;
    }

    /// <summary>
    /// Stores <paramref name="payload"/> (null: clears) if the stored version is the one <paramref name="etag"/> names,
    /// or if there is no row and no ETag; returns the new version. Runs inside the write's transaction.
    /// </summary>
    private async Task<long> SwapAsync(
        SqliteConnection connection, SqliteTransaction transaction, string stateName, GrainId grainId, string? etag, byte[]? payload, CancellationToken cancellationToken)
    {
        // An ETag that is not a version this storage wrote matches no row (versions start at 1).
        var expected = etag is null ? (long?)null : ParseETag(etag) ?? 0;
        int changed;
        await using (var command = Command(connection, transaction, expected is null ? InsertSql : UpdateSql, stateName, grainId))
        {
            command.Parameters.Add("$payload", SqliteType.Blob).Value = (object?)payload ?? DBNull.Value;
            command.Parameters.AddWithValue("$now", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
            if (expected is { } version)
            {
                command.Parameters.AddWithValue("$expected", version);
            }
            changed = await command.ExecuteNonQueryAsync(cancellationToken);
        }
        if (changed == 1)
        {
            return (expected ?? 0) + 1;
        }
        // Lost: report what is stored now (read in the same transaction, so it is what the write was compared with).
        var stored = await StoredVersionAsync(connection, transaction, stateName, grainId, cancellationToken);
        throw Conflict(payload is null ? "clearing" : "writing", stateName, grainId, stored, etag);
    }

    private static async Task<long?> StoredVersionAsync(
        SqliteConnection connection, SqliteTransaction transaction, string stateName, GrainId grainId, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, transaction, ReadVersionSql, stateName, grainId);
        return await command.ExecuteScalarAsync(cancellationToken) is long version ? version : null;
    }

    private InconsistentStateException Conflict(string action, string stateName, GrainId grainId, long? stored, string? etag)
    {
        var storedETag = stored is { } v ? FormatETag(v) : null;
        return new InconsistentStateException(
            $"Version conflict {action} state '{stateName}' of {grainId} in {_provider}: the stored ETag is " +
            $"{storedETag ?? "none (no row)"}, the grain's ETag is {etag ?? "none"}. Another activation wrote or cleared it " +
            "since this one read it; nothing was changed.",
            storedETag,
            etag);
    }

    private T Empty<T>() => _activators.GetActivator<T>().Create();

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, string stateName, GrainId grainId)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateName);
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.Parameters.AddWithValue("$type", grainId.Type.ToString());
        command.Parameters.AddWithValue("$key", grainId.Key.ToString());
        command.Parameters.AddWithValue("$state", stateName);
        return command;
    }

    private static string FormatETag(long version) => version.ToString(CultureInfo.InvariantCulture);

    private static long? ParseETag(string etag) =>
        long.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out var version) && version >= 1 ? version : null;

    private Task<TResult> RunAsync<TResult>(Func<CancellationToken, Task<TResult>> operation, string action, CancellationToken cancellationToken) =>
        SqliteFailures.RunAsync(async token =>
            {
                await _database.EnsureSchemaAsync(SqliteStorageSchema.Migrations, token);
                return await operation(token);
            },
            _provider, action, static (message, cause) => new StorageUnavailableException(message, cause), _logger, cancellationToken);
}
