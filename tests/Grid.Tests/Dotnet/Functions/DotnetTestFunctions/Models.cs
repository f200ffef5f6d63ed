namespace DotnetTestFunctions;

public sealed class Order
{
    public string? Item { get; set; }
    public int Quantity { get; set; }
    public decimal Price { get; set; }
}

public sealed class Receipt
{
    public string? Item { get; set; }
    public decimal Total { get; set; }
    public string? Note { get; set; }
}
