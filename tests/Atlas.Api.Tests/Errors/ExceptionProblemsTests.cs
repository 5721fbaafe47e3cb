using System.Collections.Immutable;
using System.Net.Sockets;
using System.Text.Json;
using Atlas.Api.Errors;
using Atlas.Grains.Drivers;
using Atlas.Grains.Monetary;
using Atlas.Grains.Rides;
using Atlas.Grains.Wallets;
using Atlas.Hosting.CallChains;
using Atlas.Infrastructure;
using Atlas.Infrastructure.Ledger;
using Microsoft.AspNetCore.Http;
using Npgsql;
using Orleans.Runtime;
using Orleans.Storage;

namespace Atlas.Api.Tests.Errors;

/// <summary>The one exception → status mapping, case by case.</summary>
public sealed class ExceptionProblemsTests
{
    private static readonly Money Eur = new(100, Currency.Eur);

    public static TheoryData<Exception, int, string> Cases => new()
    {
        { new UnknownRideException("r"), 404, "unknown-ride" },
        { new UnknownDriverException("d"), 404, "unknown-driver" },
        { new IllegalRideTransitionException(RideStatus.Created, RideStatus.Started, RideActor.Driver), 409, "illegal-ride-transition" },
        { new IllegalDriverTransitionException(DriverStatus.Offline, DriverStatus.OnTrip), 409, "illegal-driver-transition" },
        { new OfferNotFoundException("r", "d"), 409, "offer-not-found" },
        { new OfferExpiredException("r", "d"), 409, "offer-expired" },
        { new RideClosedException("r", RideStatus.Finished), 409, "ride-closed" },
        { new RiderHasOpenRideException("u", "r"), 409, "open-ride-exists" },
        { new IdempotencyConflictException("w", "ref", "a", "b"), 409, "reference-conflict" },
        { new InsufficientFundsException("w", Eur, Eur), 402, "insufficient-funds" },
        { new NotRideParticipantException("r", RideActor.Rider, "u"), 403, "not-ride-participant" },
        { new SiloUnavailableException("gone"), 503, "unavailable" },
        { new GatewayTooBusyException(), 503, "unavailable" },
        { new TimeoutException("Response did not arrive on time in 00:00:30"), 503, "unavailable" },
        { new StorageUnavailableException("down"), 503, "unavailable" },
        // A silo shutting down (or killed under a gateway) cancels what it was doing for the request.
        { new TaskCanceledException("A task was canceled."), 503, "unavailable" },
        { new OperationCanceledException(), 503, "unavailable" },
        { new InconsistentStateException("raced"), 503, "unavailable" },
        // Orleans wraps what a storage provider throws: the cause decides.
        { new OrleansException("Error from storage provider during WriteStateAsync", new StorageUnavailableException("down")), 503, "unavailable" },
        { new AggregateException(new OrleansException("Error from storage provider", new StorageUnavailableException("down"))), 503, "unavailable" },
        { new OrleansException("Error from storage provider during ReadStateAsync", new InvalidOperationException("a bug")), 500, "internal" },
        { new OrleansException("Error from storage provider", new UnknownRideException("r")), 404, "unknown-ride" },
        // A subclass of OrleansException is itself the cause, not a wrapper.
        { new SiloUnavailableException("gone", new InvalidOperationException("inner")), 503, "unavailable" },
        { new LedgerUnavailableException("ledger down", "SQLite ledger"), 503, "unavailable" },
        // Orleans' ADO.NET grain storage on PostgreSQL: the driver's exception inside Orleans' wrapper.
        { new OrleansException("Error from storage provider AdoNetGrainStorage", new NpgsqlException("Exception while reading from stream", new TimeoutException())), 503, "unavailable" },
        { new OrleansException("Error from storage provider AdoNetGrainStorage", new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused))), 503, "unavailable" },
        { new OrleansException("Error from storage provider AdoNetGrainStorage", new NpgsqlException("syntax error")), 500, "internal" },
        { new CallCycleException(ImmutableArray.Create("order/r1.IOrderGrain.Accept", "driver/d1.IDriverGrain.Claim", "order/r1.IOrderGrain.Get")), 500, "internal" },
        { new LocationInFutureException("d", DateTimeOffset.UtcNow.AddHours(1), DateTimeOffset.UtcNow), 400, "validation" },
        { new JsonException("bad", "$.pickup_lat", 0, 5), 400, "validation" },
        { new BadHttpRequestException("too big", StatusCodes.Status413PayloadTooLarge), 413, "payload-too-large" },
        { new ArgumentOutOfRangeException("limit"), 400, "invalid-argument" },
        { new InvalidOperationException("a bug"), 500, "internal" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Each_exception_maps_to_its_status_and_type(Exception exception, int status, string code)
    {
        var problem = ExceptionProblems.Map(exception);

        Assert.Equal(status, problem.Status);
        Assert.Equal("urn:atlas:problem:" + code, problem.Type);
    }

    [Fact]
    public void Unavailable_problems_ask_the_client_to_retry_later()
    {
        Assert.Equal(TimeSpan.FromSeconds(2), ExceptionProblems.Map(new SiloUnavailableException("gone")).RetryAfter);
    }

    [Fact]
    public void A_json_error_names_the_field_from_its_path()
    {
        var problem = ExceptionProblems.Map(new JsonException("bad", "$.pickup_lat", 0, 5));

        Assert.Equal(["pickup_lat"], problem.Errors!.Keys);
    }

    [Fact]
    public void Insufficient_funds_tell_what_was_requested_and_available()
    {
        var problem = ExceptionProblems.Map(new InsufficientFundsException("w", new Money(900, Currency.Eur), new Money(100, Currency.Eur)));

        Assert.Equal(900L, problem.Extensions["requested"]);
        Assert.Equal(100L, problem.Extensions["available"]);
    }
}
