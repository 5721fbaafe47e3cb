using System.Data.Common;
using System.Text.Json;
using Atlas.Grains.Common;
using Atlas.Grains.Drivers;
using Atlas.Grains.Markets;
using Atlas.Grains.Monetary;
using Atlas.Grains.Rides;
using Atlas.Grains.Wallets;

using Atlas.Infrastructure;
using Atlas.Infrastructure.GeoIndex;
using Atlas.Infrastructure.History;
using Atlas.Infrastructure.Ledger;
using Atlas.Hosting.Streams.Redis;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;
using Orleans.Storage;

namespace Atlas.Api.Errors;

/// <summary>
/// The one mapping from exceptions to HTTP problems. Domain refusals are the client's to fix (4xx), platform
/// faults that a retry may cure are 503 with <c>Retry-After</c>, and only what nobody foresaw is a 500.
/// </summary>
public static class ExceptionProblems
{
    /// <summary>How long clients are asked to wait after a 503 (default 2 s).</summary>
    public static readonly TimeSpan UnavailableRetryAfter = TimeSpan.FromSeconds(2);

    public static ApiProblem Map(Exception exception) => Classify(Unwrap(exception));

    /// <summary>
    /// Orleans wraps what a storage provider throws in a plain <see cref="OrleansException"/> (the provider's exception
    /// inside; its own <see cref="InconsistentStateException"/> passes unwrapped), and a failed task may arrive as an
    /// <see cref="AggregateException"/> of one: the cause is what decides the answer.
    /// </summary>
    internal static Exception Unwrap(Exception exception)
    {
        while (exception.InnerException is { } inner &&
               (exception.GetType() == typeof(OrleansException) || exception is AggregateException { InnerExceptions.Count: 1 }))
        {
            exception = inner;
        }
        return exception;
    }

    private static ApiProblem Classify(Exception exception) => exception switch
    {
        RequestValidationException validation => ApiProblem.Validation(validation.Errors),
        BadHttpRequestException bad => FromBadRequest(bad),
        JsonException json => FromJson(json),

        UnknownRideException e => NotFound("unknown-ride", "Unknown ride", e.Message, ("order_id", e.RideId)),
        UnknownDriverException e => NotFound("unknown-driver", "Unknown driver", e.Message + " Register with PUT /driver/profile or send a location.", ("driver_id", e.DriverId)),

        NotRideParticipantException e => new ApiProblem(StatusCodes.Status403Forbidden, "not-ride-participant", "Not your ride", e.Message),

        InsufficientFundsException e => new ApiProblem(StatusCodes.Status402PaymentRequired, "insufficient-funds", "Insufficient funds",
            e.Message + " Top up the wallet with POST /wallet/topup.")
        {
            Extensions = Extensions(("requested", e.Requested.Minor), ("available", e.Available.Minor), ("currency", e.Requested.Currency.Code)),
        },

        IllegalRideTransitionException e => Conflict("illegal-ride-transition", "Illegal ride transition", e.Message,
            ("from", e.From.ToWireName()), ("to", e.To.ToWireName())),
        IllegalDriverTransitionException e => Conflict("illegal-driver-transition", "Illegal driver status change", e.Message,
            ("from", e.From.ToWireName()), ("to", e.To.ToWireName())),
        OfferNotFoundException e => Conflict("offer-not-found", "No such offer", e.Message, ("order_id", e.RideId)),
        OfferExpiredException e => Conflict("offer-expired", "Offer expired", e.Message, ("order_id", e.RideId)),
        RideClosedException e => Conflict("ride-closed", "Ride closed", e.Message, ("order_id", e.RideId), ("ride_status", e.Status.ToWireName())),
        RiderHasOpenRideException e => Conflict("open-ride-exists", "Open ride exists", e.Message, ("open_order_id", e.OpenRideId)),
        RideAlreadyExistsException e => Conflict("ride-exists", "Ride exists", e.Message, ("order_id", e.RideId)),
        IdempotencyConflictException e => Conflict("reference-conflict", "Reference already used", e.Message, ("reference", e.Reference)),
        DriverRideMismatchException e => Conflict("driver-not-on-ride", "Driver not on this ride", e.Message, ("order_id", e.RideId)),
        StaleLocationException e => Conflict("stale-location", "Location older than the last one", e.Message, ("last_accepted", e.LastAccepted)),
        UnknownHoldException e => Conflict("unknown-hold", "Unknown hold", e.Message),
        AmountExceedsOriginalException e => Conflict("amount-exceeds-original", "Amount exceeds original", e.Message),
        CurrencyMismatchException e => Conflict("currency-mismatch", "Currency mismatch", e.Message + " A wallet keeps the currency of its first movement.",
            ("expected", e.Left.Code), ("given", e.Right.Code)),

        LocationInFutureException e => ApiProblem.Validation("timestamp", $"lies in the future ({e.Timestamp:O}; server time {e.Now:O})."),
        UnknownCityException e => ApiProblem.Validation("city", e.Message),
        UnknownVehicleClassException e => ApiProblem.Validation("vehicle_type", e.Message),
        UnknownPaymentMethodException e => ApiProblem.Validation("payment_method", e.Message),
        UnknownRideStatusException e => ApiProblem.Validation("status", e.Message),
        DomainException e => new ApiProblem(StatusCodes.Status422UnprocessableEntity, "refused", "Refused", e.Message),
        // Grains validate their arguments; what the API passed the edge checks but a grain refused is still bad input.
        ArgumentException e => new ApiProblem(StatusCodes.Status400BadRequest, "invalid-argument", "Invalid argument", e.Message),

        // What a retry may cure: no silo (stopped, dead, unreachable, overloaded), a response timeout (Orleans throws
        // TimeoutException after SiloMessagingOptions.ResponseTimeout), work a stopping silo cancelled, a write that
        // lost an ETag race, a store down. (A request its client aborted also ends here; nobody reads that answer.)
        SiloUnavailableException or OrleansMessageRejectionException or GatewayTooBusyException or LimitExceededException
            or ConnectionFailedException or TimeoutException or OperationCanceledException or InconsistentStateException
            or StorageUnavailableException or LedgerUnavailableException or GeoIndexStoreUnavailableException
            or RideHistoryUnavailableException or StreamUnavailableException
            // Orleans' ADO.NET providers (grain state and reminders on PostgreSQL) let the driver's exception through:
            // a lost connection, a timeout or a server going down says so with IsTransient.
            or DbException { IsTransient: true } =>
            new ApiProblem(StatusCodes.Status503ServiceUnavailable, "unavailable", "Temporarily unavailable",
                "The platform could not complete the request right now; retry after the indicated delay.")
            {
                RetryAfter = UnavailableRetryAfter,
            },

        _ => new ApiProblem(StatusCodes.Status500InternalServerError, "internal", "Internal error",
            "The request failed on the server. It has been logged; the trace id identifies it."),
    };

    private static ApiProblem FromBadRequest(BadHttpRequestException bad)
    {
        if (bad.InnerException is JsonException json)
        {
            return FromJson(json);
        }
        return bad.StatusCode switch
        {
            StatusCodes.Status415UnsupportedMediaType => new ApiProblem(bad.StatusCode, "unsupported-media-type", "Unsupported media type",
                "Send the body as application/json."),
            StatusCodes.Status413PayloadTooLarge => new ApiProblem(bad.StatusCode, "payload-too-large", "Payload too large", "The request body is too large."),
            _ when bad.Message.Contains("was not provided from body", StringComparison.Ordinal) ||
                   bad.Message.Contains("no body was provided", StringComparison.Ordinal) =>
                ApiProblem.Validation(new Dictionary<string, string[]> { ["body"] = ["A JSON object body is required."] }, "The request needs a JSON body."),
            _ => new ApiProblem(bad.StatusCode is >= 400 and < 500 ? bad.StatusCode : StatusCodes.Status400BadRequest, "bad-request", "Bad request", bad.Message),
        };
    }

    /// <summary>Malformed JSON or a value of the wrong type: 400 naming the field from the reader's path.</summary>
    private static ApiProblem FromJson(JsonException json)
    {
        var field = FieldOf(json.Path);
        var message = json.Message;
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut > 0)
        {
            message = message[..cut];
        }
        var friendly = message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal)
            ? "has the wrong type or is out of range."
            : message;
        return ApiProblem.Validation(new Dictionary<string, string[]> { [field] = [friendly] },
            json.LineNumber is { } line ? $"Invalid JSON at line {line + 1}, byte {json.BytePositionInLine + 1}." : "Invalid JSON.");
    }

    /// <summary><c>$.pickup_lat</c> → <c>pickup_lat</c>; the whole body (or unknown) → <c>body</c>.</summary>
    internal static string FieldOf(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return "body";
        }
        var field = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        return field.Length == 0 || field.Length > 100 ? "body" : field;
    }

    private static ApiProblem NotFound(string code, string title, string detail, params (string Key, object? Value)[] extensions) =>
        new(StatusCodes.Status404NotFound, code, title, detail) { Extensions = Extensions(extensions) };

    private static ApiProblem Conflict(string code, string title, string detail, params (string Key, object? Value)[] extensions) =>
        new(StatusCodes.Status409Conflict, code, title, detail) { Extensions = Extensions(extensions) };

    private static Dictionary<string, object?> Extensions(params (string Key, object? Value)[] pairs) =>
        pairs.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
}

/// <summary>Thrown where a check deep in a request finds invalid input; answered as a 400 naming the fields.</summary>
public sealed class RequestValidationException(IDictionary<string, string[]> errors)
    : Exception("The request is not valid: " + string.Join("; ", errors.Select(e => $"{e.Key} {string.Join(" ", e.Value)}")))
{
    public IDictionary<string, string[]> Errors { get; } = errors;
}
