using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Atlas.Api.Auth;

/// <summary>Registers bearer-token authentication (ASP.NET Core's JwtBearer handler), the role policies and the token service.</summary>
public static class AuthServiceCollectionExtensions
{
    public static IServiceCollection AddApiAuthentication(this IServiceCollection services)
    {
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.SectionName).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<TokenService>();
        services.AddAuthentication(JwtBearerSetup.SchemeName).AddJwtBearer();
        services.AddSingleton<IConfigureOptions<JwtBearerOptions>, JwtBearerSetup>();
        services.AddAuthorization(Policies.Add);
        services.AddHostedService<AuthStartupLog>();
        return services;
    }
}

/// <summary>Refuses to start with a short signing key or an impossible lifetime, naming the setting.</summary>
internal sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var errors = options.Validate().ToList();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>Says loudly at start-up when anyone can get any token.</summary>
internal sealed partial class AuthStartupLog(TokenService tokens, ILogger<AuthStartupLog> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (tokens.IsDevelopmentMode)
        {
            LogDevelopmentMode();
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(LogLevel.Warning,
        "Neither Auth:SigningKey nor Auth:Authority is configured: DEVELOPMENT MODE. Tokens are signed with a random key made for this process, and " +
        "POST /auth/token issues a token to ANYONE for ANY user id and role, admin included. Set Auth:SigningKey and " +
        "Auth:ClientSecrets before exposing this API.")]
    private partial void LogDevelopmentMode();
}
