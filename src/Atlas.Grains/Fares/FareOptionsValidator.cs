using Microsoft.Extensions.Options;

namespace Atlas.Grains.Fares;

/// <summary>Lets a host reject bad fare configuration at start-up (<c>ValidateOnStart</c>) instead of at the first quote.</summary>
public sealed class FareOptionsValidator : IValidateOptions<FareOptions>
{
    public ValidateOptionsResult Validate(string? name, FareOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = options.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
