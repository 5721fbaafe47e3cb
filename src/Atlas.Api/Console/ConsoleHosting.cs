using Microsoft.Extensions.Options;

namespace Atlas.Api.Console;

/// <summary>Wires the dispatcher console (<see cref="ConsoleOptions"/>, section <c>Console</c>).</summary>
public static class ConsoleHosting
{
    public static WebApplicationBuilder AddAtlasConsole(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<ConsoleOptions>().BindConfiguration(ConsoleOptions.SectionName).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ConsoleOptions>, ConsoleOptionsValidator>();
        var options = builder.Configuration.GetSection(ConsoleOptions.SectionName).Get<ConsoleOptions>() ?? new ConsoleOptions();
        if (!options.Enabled)
        {
            return builder;
        }
        builder.Services.AddSingleton<LiveCity>();
        builder.Services.AddHostedService<LiveFeedSubscription>();
        builder.Services.AddHostedService<LiveCitySweeper>();
        return builder;
    }

    public static WebApplication MapAtlasConsole(this WebApplication app)
    {
        if (app.Services.GetRequiredService<IOptions<ConsoleOptions>>().Value.Enabled)
        {
            app.MapConsoleApi();
        }
        return app;
    }
}

/// <summary>Refuses to start with impossible console settings, naming them.</summary>
internal sealed class ConsoleOptionsValidator : IValidateOptions<ConsoleOptions>
{
    public ValidateOptionsResult Validate(string? name, ConsoleOptions options)
    {
        var errors = options.Validate().ToList();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
