export { lowerModel } from "./lower.js";
export { rotaryTable, sinusoidalTable } from "./tables.js";
