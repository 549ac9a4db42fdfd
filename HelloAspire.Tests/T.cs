namespace HelloAspire.Tests; public class T { [Fact] public void A() {} }
