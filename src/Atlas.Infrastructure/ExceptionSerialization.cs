using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace Atlas.Infrastructure;

/// <summary>
/// The stores' exceptions (<c>LedgerUnavailableException</c>, <c>GeoIndexStoreUnavailableException</c>,
/// <c>StreamUnavailableException</c>, ...) carry the database driver's exception as their cause. Orleans' exception
/// codec carries only exceptions of the namespaces it is told about (<c>Microsoft</c>, <c>System</c>, <c>Azure</c> by
/// default): any other cause fails the whole exception at the grain boundary, and the caller gets a
/// <c>CodecNotFoundException</c> instead of the store's exception. Registering a store therefore tells Orleans about
/// its driver's namespace; the cause then arrives as its own type with its message and stack trace.
/// </summary>
internal static class ExceptionSerialization
{
    /// <summary>Npgsql's exceptions (<c>NpgsqlException</c>, <c>PostgresException</c>).</summary>
    public const string Npgsql = "Npgsql";

    /// <summary>StackExchange.Redis' exceptions (<c>RedisConnectionException</c>, <c>RedisTimeoutException</c>, ...).</summary>
    public const string StackExchangeRedis = "StackExchange.Redis";

    /// <summary>Lets Orleans' exception codec carry exceptions whose namespace starts with <paramref name="namespacePrefix"/>.</summary>
    public static IServiceCollection AddSerializableExceptions(this IServiceCollection services, string namespacePrefix)
    {
        services.Configure<ExceptionSerializationOptions>(options => options.SupportedNamespacePrefixes.Add(namespacePrefix));
        return services;
    }
}
