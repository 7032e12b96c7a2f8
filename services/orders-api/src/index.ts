export { type AppOptions, addOrderRoutes, type DatabaseLike } from './app.js';
export { ordersApiSpecs } from './config.js';
export { HTTP_STATUS, ORDERS_ERROR_CODES, OrdersError, type OrdersErrorCode } from './errors.js';
export { migrations } from './migrations.js';
export {
  changeStatus,
  createOrder,
  getOrder,
  listOrders,
  type Order,
  type OrderPage,
  type OrdersDb,
  seedOrders,
} from './orders.js';
export {
  ORDERS_API,
  type OrdersApiConfig,
  type RunningOrdersApi,
  type StartOptions,
  startOrdersApi,
  VERSION,
} from './service.js';
export * from './validation.js';
