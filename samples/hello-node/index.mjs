// Greets whoever the event names; fails on purpose when asked, to show `grid invoke`'s exit code 1.
export const handler = async (event, context) => {
  if (event.fail) throw new Error("asked to fail");
  const name = event.name ?? "world";
  console.log(`greeting ${name} from ${context.functionName}`);
  return { message: `${process.env.GREETING ?? "Hello"}, ${name}!`, version: context.functionVersion };
};
