using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.Mappings;

/// <summary>The node refuses Grid:Delivery settings that would break delivery, before it serves anything.</summary>
public sealed class DeliveryOptionsTests
{
    [Fact]
    public async Task Out_of_range_delivery_settings_stop_the_node_with_a_message_that_says_what_to_fix()
    {
        var data = Directory.CreateTempSubdirectory("grid-delivery-").FullName;
        try
        {
            var result = await GridNode.RunCommandAsync(
                new Dictionary<string, string?> { ["Grid__Delivery__QueueCount"] = "0", ["Grid__Delivery__DeliveryWait"] = "00:00:30" },
                "--data", data, "--port", FreePort.Next().ToString(), "--silo-port", FreePort.Next().ToString(),
                "--gateway-port", FreePort.Next().ToString());
            Assert.Equal(3, result.ExitCode); // a start-up problem, printed without a stack trace
            Assert.Contains("Invalid configuration", result.StandardError);
            Assert.Contains("Grid:Delivery:QueueCount = 0: must be between 1 and 1024", result.StandardError);
            Assert.Contains("Grid:Delivery:DeliveryWait = 00:00:30: must be between 00:00:00.100 and 00:00:29", result.StandardError);
            Assert.Contains("Grid__Delivery__QueueCount=4", result.StandardError);
            Assert.DoesNotContain("Unhandled exception", result.StandardError + result.StandardOutput);
        }
        finally
        {
            Directory.Delete(data, recursive: true);
        }
    }
}
