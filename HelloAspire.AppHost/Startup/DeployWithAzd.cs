#pragma warning disable ASPIREPIPELINES001 // Aspire's publishing pipeline is experimental in 13.6.5; the tests pin what this relies on.
using Aspire.Hosting.Pipelines;

namespace HelloAspire.AppHost.Startup;

/// <summary>
/// The app is deployed by azd, from the manifest (README, "Deploy with azd"). Aspire's own <c>aspire publish</c> and
/// <c>aspire deploy</c> would otherwise report success and write nothing, because no compute environment is
/// registered: <c>aspire publish</c> writes the manifest azd reads instead, and <c>aspire deploy</c> fails with one
/// line that says what to run.
/// </summary>
public static class DeployWithAzd
{
    /// <summary>Aspire's own step that writes the manifest (<c>aspire do publish-manifest</c>).</summary>
    public const string ManifestStep = "publish-manifest";

    public static IDistributedApplicationBuilder PublishTheManifestForAzd(this IDistributedApplicationBuilder builder)
    {
        builder.Pipeline.AddPipelineConfiguration(context =>
        {
            context.Steps.Single(step => step.Name == ManifestStep).RequiredBy(WellKnownPipelineSteps.Publish);
            return Task.CompletedTask;
        });
        builder.Pipeline.AddStep(
            "deploy-with-azd",
            _ => throw new DistributedApplicationException(
                "This app is deployed with azd, not aspire deploy: run 'azd up' from the repository's root (README, 'Deploy with azd'); 'aspire publish -o <folder>' writes the manifest it reads."),
            dependsOn: WellKnownPipelineSteps.DeployPrereq,
            requiredBy: WellKnownPipelineSteps.Deploy);
        return builder;
    }
}
