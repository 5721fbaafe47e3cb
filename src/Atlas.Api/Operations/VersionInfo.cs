using System.Reflection;
using System.Runtime.InteropServices;

namespace Atlas.Api.Operations;

/// <summary>What build is running: the informational version and the git commit it was built from.</summary>
public sealed record VersionInfo(string Name, string Version, string? Commit, string Runtime, string Mode)
{
    /// <summary>The commit comes from the build (SourceLink appends <c>+sha</c> to the informational version) or <c>ATLAS_GIT_COMMIT</c>.</summary>
    public static VersionInfo Current(string mode)
    {
        var assembly = typeof(VersionInfo).Assembly;
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
                            ?? assembly.GetName().Version?.ToString() ?? "0.0.0";
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        var version = plus >= 0 ? informational[..plus] : informational;
        var commit = Environment.GetEnvironmentVariable("ATLAS_GIT_COMMIT") is { Length: > 0 } fromEnvironment
            ? fromEnvironment
            : plus >= 0 ? informational[(plus + 1)..] : null;
        return new VersionInfo("Atlas.Api", version, commit, RuntimeInformation.FrameworkDescription, mode);
    }
}
