// HTML escaping for everything the pages show: experiment files and arm names are user input.
export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
