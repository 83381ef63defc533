/** One "did you mean" for the whole project: the checker offers names exactly as the parser does. */
export { didYouMean } from "../../grammar/suggest.js";
