using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.Async;

/// <summary>Put/Update/Get/List/DeleteFunctionEventInvokeConfig and their errors, through the AWS CLI and boto3.</summary>
public sealed class EventInvokeConfigTests(AsyncFixture fixture) : IClassFixture<AsyncFixture>
{
    [Fact]
    public async Task Every_operation_through_the_cli()
    {
        var cli = fixture.Cli;
        var account = fixture.Main.AccountId;
        var name = await fixture.DeployAsync();
        var target = await fixture.DeployAsync();
        var targetArn = AsyncFunctions.Arn(account, target);
        var destinations = $$$"""{"OnSuccess":{"Destination":"{{{targetArn}}}"},"OnFailure":{"Destination":"{{{targetArn}}}:$LATEST"}}""";

        var put = await cli.OkAsync("lambda", "put-function-event-invoke-config", "--function-name", name,
            "--maximum-retry-attempts", "1", "--maximum-event-age-in-seconds", "120", "--destination-config", destinations);
        Assert.Equal(AsyncFunctions.Arn(account, name, "$LATEST"), (string?)put["FunctionArn"]);
        Assert.Equal(1, (int?)put["MaximumRetryAttempts"]);
        Assert.Equal(120, (int?)put["MaximumEventAgeInSeconds"]);
        Assert.Equal(targetArn, (string?)put["DestinationConfig"]!["OnSuccess"]!["Destination"]);
        Assert.Equal(targetArn + ":$LATEST", (string?)put["DestinationConfig"]!["OnFailure"]!["Destination"]);
        Assert.NotNull(put["LastModified"]); // the CLI prints the epoch-seconds number as a date-time

        var get = await cli.OkAsync("lambda", "get-function-event-invoke-config", "--function-name", name);
        Assert.Equal(put.ToJsonString(), get.ToJsonString());

        // Update merges: only the retry count changes.
        var updated = await cli.OkAsync("lambda", "update-function-event-invoke-config", "--function-name", name, "--maximum-retry-attempts", "0");
        Assert.Equal(0, (int?)updated["MaximumRetryAttempts"]);
        Assert.Equal(120, (int?)updated["MaximumEventAgeInSeconds"]);
        Assert.Equal(targetArn, (string?)updated["DestinationConfig"]!["OnSuccess"]!["Destination"]);

        // Put replaces: what it does not name is gone.
        var replaced = await cli.OkAsync("lambda", "put-function-event-invoke-config", "--function-name", name, "--maximum-retry-attempts", "2");
        Assert.Null(replaced["MaximumEventAgeInSeconds"]);
        Assert.Null(replaced["DestinationConfig"]?["OnSuccess"]?["Destination"]);

        // One config per qualifier: a version and an alias have their own.
        await cli.OkAsync("lambda", "publish-version", "--function-name", name);
        await cli.OkAsync("lambda", "create-alias", "--function-name", name, "--name", "live", "--function-version", "1");
        var version = await cli.OkAsync("lambda", "put-function-event-invoke-config", "--function-name", name, "--qualifier", "1",
            "--maximum-event-age-in-seconds", "60");
        Assert.Equal(AsyncFunctions.Arn(account, name, "1"), (string?)version["FunctionArn"]);
        var alias = await cli.OkAsync("lambda", "put-function-event-invoke-config", "--function-name", name + ":live",
            "--maximum-retry-attempts", "1");
        Assert.Equal(AsyncFunctions.Arn(account, name, "live"), (string?)alias["FunctionArn"]);

        // The CLI follows NextMarker through pages of one.
        var list = await cli.OkAsync("lambda", "list-function-event-invoke-configs", "--function-name", name, "--page-size", "1");
        var arns = list["FunctionEventInvokeConfigs"]!.AsArray().Select(c => (string)c!["FunctionArn"]!).Order().ToList();
        Assert.Equal(new[] { "1", "$LATEST", "live" }.Select(q => AsyncFunctions.Arn(account, name, q)).Order().ToList(), arns);

        await cli.OkAsync("lambda", "delete-function-event-invoke-config", "--function-name", name, "--qualifier", "1");
        var gone = await cli.FailsAsync("ResourceNotFoundException", "lambda", "get-function-event-invoke-config", "--function-name", name,
            "--qualifier", "1");
        Assert.Equal($"The function {AsyncFunctions.Arn(account, name, "1")} doesn't have an EventInvokeConfig", gone.ErrorMessage);
        await cli.FailsAsync("ResourceNotFoundException", "lambda", "delete-function-event-invoke-config", "--function-name", name,
            "--qualifier", "1");
        list = await cli.OkAsync("lambda", "list-function-event-invoke-configs", "--function-name", name);
        Assert.Equal(2, list["FunctionEventInvokeConfigs"]!.AsArray().Count);
        Assert.Equal(1, await fixture.CountAsync($"SELECT count(*) FROM grid_event_invoke_configs WHERE name = '{name}' AND qualifier = 'live'"));
    }

    [Fact]
    public async Task Errors_through_the_cli()
    {
        var cli = fixture.Cli;
        var account = fixture.Main.AccountId;
        var name = await fixture.DeployAsync();

        var none = await cli.FailsAsync("ResourceNotFoundException", "lambda", "get-function-event-invoke-config", "--function-name", name);
        Assert.Equal($"The function {AsyncFunctions.Arn(account, name, "$LATEST")} doesn't have an EventInvokeConfig", none.ErrorMessage);
        await cli.FailsAsync("ResourceNotFoundException", "lambda", "update-function-event-invoke-config", "--function-name", name,
            "--maximum-retry-attempts", "1");
        var missing = await cli.FailsAsync("ResourceNotFoundException", "lambda", "put-function-event-invoke-config",
            "--function-name", "no-such-function", "--maximum-retry-attempts", "1");
        Assert.StartsWith("Function not found: ", missing.ErrorMessage);
        await cli.FailsAsync("ResourceNotFoundException", "lambda", "put-function-event-invoke-config", "--function-name", name,
            "--qualifier", "99", "--maximum-retry-attempts", "1");
        await cli.FailsAsync("ResourceNotFoundException", "lambda", "list-function-event-invoke-configs", "--function-name", "no-such-function");

        var nothing = await cli.FailsAsync("InvalidParameterValueException", "lambda", "put-function-event-invoke-config", "--function-name", name);
        Assert.Equal("You must specify at least one of error handling or destination setting.", nothing.ErrorMessage);
        var retries = await cli.FailsAsync("ValidationException", "lambda", "put-function-event-invoke-config", "--function-name", name,
            "--maximum-retry-attempts", "3");
        Assert.Contains("Value '3' at 'maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or equal to 2", retries.ErrorMessage);
        var age = await cli.FailsAsync("ValidationException", "lambda", "put-function-event-invoke-config", "--function-name", name,
            "--maximum-event-age-in-seconds", "21601");
        Assert.Contains("at 'maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value less than or equal to 21600", age.ErrorMessage);

        var sqs = await cli.FailsAsync("InvalidParameterValueException", "lambda", "put-function-event-invoke-config", "--function-name", name,
            "--destination-config", $$$"""{"OnFailure":{"Destination":"arn:aws:sqs:us-east-1:{{{account}}}:dead-letters"}}""");
        Assert.Contains("Lambda functions only", sqs.ErrorMessage);
        await cli.FailsAsync("ValidationException", "lambda", "put-function-event-invoke-config", "--function-name", name,
            "--destination-config", """{"OnSuccess":{"Destination":"not-an-arn"}}""");
        await cli.FailsAsync("InvalidParameterValueException", "lambda", "put-function-event-invoke-config", "--function-name", name,
            "--destination-config", $$$"""{"OnSuccess":{"Destination":"{{{AsyncFunctions.Arn(NodeFixture.OtherAccount, "elsewhere")}}}"}}""");

        // Another account's function is simply not found, and nothing was stored by any of the above.
        await fixture.OtherCli.FailsAsync("ResourceNotFoundException", "lambda", "get-function-event-invoke-config",
            "--function-name", AsyncFunctions.Arn(account, name));
        Assert.Equal(0, await fixture.CountAsync($"SELECT count(*) FROM grid_event_invoke_configs WHERE name = '{name}'"));
    }

    [Fact]
    public async Task Every_operation_and_errors_through_boto3()
    {
        var account = fixture.Main.AccountId;
        var name = await fixture.DeployAsync();
        var target = AsyncFunctions.Arn(account, await fixture.DeployAsync());
        var result = await fixture.Boto.RunAsync($$$"""
            name, target = {{{Boto3.Literal(name)}}}, {{{Boto3.Literal(target)}}}
            put = client.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=2, MaximumEventAgeInSeconds=3600,
                DestinationConfig={"OnFailure": {"Destination": target}})
            get = client.get_function_event_invoke_config(FunctionName=name)
            update = client.update_function_event_invoke_config(FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": target}})
            listed = client.list_function_event_invoke_configs(FunctionName=name, MaxItems=50)
            client.delete_function_event_invoke_config(FunctionName=name)
            out({
                "put": {k: put[k] for k in ("FunctionArn", "MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")},
                "lastModifiedIsDate": hasattr(put["LastModified"], "year"),
                "get": {k: get[k] for k in ("FunctionArn", "MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")},
                "update": update["DestinationConfig"],
                "listed": [c["FunctionArn"] for c in listed["FunctionEventInvokeConfigs"]],
                "afterDelete": error(client.get_function_event_invoke_config, FunctionName=name),
                "negativeRetries": error(unvalidated.put_function_event_invoke_config, FunctionName=name, MaximumRetryAttempts=-1),
                "youngAge": error(unvalidated.put_function_event_invoke_config, FunctionName=name, MaximumEventAgeInSeconds=59),
                "sns": error(client.put_function_event_invoke_config, FunctionName=name,
                    DestinationConfig={"OnSuccess": {"Destination": "arn:aws:sns:us-east-1:{{{account}}}:topic"}}),
                "missing": error(client.get_function_event_invoke_config, FunctionName="no-such-function"),
            })
            """);
        Assert.NotNull(result);
        var latest = AsyncFunctions.Arn(account, name, "$LATEST");
        Assert.Equal(latest, (string?)result!["put"]!["FunctionArn"]);
        Assert.Equal(2, (int?)result["put"]!["MaximumRetryAttempts"]);
        Assert.Equal(3600, (int?)result["put"]!["MaximumEventAgeInSeconds"]);
        Assert.Equal(target, (string?)result["put"]!["DestinationConfig"]!["OnFailure"]!["Destination"]);
        Assert.True((bool)result["lastModifiedIsDate"]!);
        Assert.Equal(result["put"]!.ToJsonString(), result["get"]!.ToJsonString());
        Assert.Equal(target, (string?)result["update"]!["OnSuccess"]!["Destination"]);
        Assert.Equal(target, (string?)result["update"]!["OnFailure"]!["Destination"]);
        Assert.Equal(latest, (string?)result["listed"]![0]);
        Assert.Equal("ResourceNotFoundException", (string?)result["afterDelete"]!["Code"]);
        Assert.Equal(404, (int?)result["afterDelete"]!["Status"]);
        Assert.Equal("ValidationException", (string?)result["negativeRetries"]!["Code"]);
        Assert.Contains("greater than or equal to 0", (string?)result["negativeRetries"]!["Message"]);
        Assert.Equal("ValidationException", (string?)result["youngAge"]!["Code"]);
        Assert.Contains("greater than or equal to 60", (string?)result["youngAge"]!["Message"]);
        Assert.Equal("InvalidParameterValueException", (string?)result["sns"]!["Code"]);
        Assert.Equal(400, (int?)result["sns"]!["Status"]);
        Assert.Equal("ResourceNotFoundException", (string?)result["missing"]!["Code"]);
    }
}
