using Microsoft.AspNetCore.Http.HttpResults;

namespace Atlas.Api.Errors;

/// <summary>Registers problem details for every error, with one place that maps exceptions.</summary>
public static class ErrorsServiceCollectionExtensions
{
    public static IServiceCollection AddApiErrors(this IServiceCollection services)
    {
        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
            ProblemWriter.Decorate(context.ProblemDetails, context.HttpContext));
        services.AddExceptionHandler<ApiExceptionHandler>();
        services.AddSingleton<ProblemWriter>();
        // Binding failures (malformed JSON, wrong types, wrong content type) throw, so the handler can name the field.
        services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        return services;
    }
}

/// <summary>Problem results for endpoints.</summary>
public static class Problems
{
    /// <summary>The 400 for a request whose fields failed validation.</summary>
    public static ValidationProblem Validation(IDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, detail: "See errors for each field.", title: "The request is not valid.",
            type: ApiProblem.TypePrefix + "validation");
}

/// <summary>Problem results for the authorization checks endpoints make themselves.</summary>
public static class AccessProblems
{
    /// <summary>A body names another user than the caller.</summary>
    public static ProblemHttpResult NotYourself(string field) =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, type: ApiProblem.TypePrefix + "not-yourself", title: "Forbidden",
            detail: $"'{field}' must be your own user id: a caller acts only as itself.");

    /// <summary>The ride belongs to someone else.</summary>
    public static ProblemHttpResult NotYourRide(string rideId) =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden, type: ApiProblem.TypePrefix + "not-ride-participant", title: "Not your ride",
            detail: $"Ride '{rideId}' is not yours.");
}
